# Zero-shot benign vs malignant: biomedclip on busi (breast prompts).
#   DATA_ROOT=<converted set> python tools/zero_shot.py configs/zero_shot/biomedclip_busi.py \
#       --cfg-options model.backbone.pretrained=W model.text_encoder.pretrained=W \
#       model.text_encoder.text_model_dir=BIOMEDBERT_FOLDER   (or BIOMEDBERT_DIR=...)
_base_ = [
    '../_base_/cls/models/clip_zero_shot.py',
    '../_base_/backbones/biomedclip.py',
    '../_base_/cls/text_towers/biomedclip.py',
    '../_base_/cls/datasets/busi.py',
    '../_base_/cls/default_runtime.py',
]
model = dict(
    backbone=dict(arch={{_base_.backbone_arch}}),
    text_encoder=dict(arch={{_base_.text_arch}}, text_model_dir={{_base_.text_model_dir}}),
    prompts='breast',
)
