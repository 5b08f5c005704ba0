# Stage 1 (contrastive adaptation): biomedclip + HT adapters on every image-tower block; text tower frozen.
# BIOMEDBERT_DIR=<local BiomedBERT folder> python tools/train.py THIS_CONFIG \
#     --cfg-options model.backbone.pretrained=/path/weights   (one file: both towers)
_base_ = [
    '../_base_/finetune/contrastive_clip.py',
    '../_base_/backbones/biomedclip.py',
    '../_base_/adapters/ht.py',
    '../_base_/cls/text_towers/biomedclip.py',
    '../_base_/finetune/captions.py',
    '../_base_/finetune/captions_32e.py',
    '../_base_/finetune/default_runtime.py',
]
model = dict(
    backbone=dict(arch={{_base_.backbone_arch}}, adapter={{_base_.adapter}}),
    text_encoder=dict(arch={{_base_.text_arch}}, text_model_dir={{_base_.text_model_dir}}))
