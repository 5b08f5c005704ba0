# Stage 1 (contrastive adaptation): clip + HT adapters on every image-tower block; text tower frozen.
# python tools/train.py THIS_CONFIG --cfg-options model.backbone.pretrained=/path/weights
_base_ = [
    '../_base_/finetune/contrastive_clip.py',
    '../_base_/backbones/clip.py',
    '../_base_/adapters/ht.py',
    '../_base_/finetune/captions.py',
    '../_base_/finetune/captions_32e.py',
    '../_base_/finetune/default_runtime.py',
]
model = dict(
    backbone=dict(arch={{_base_.backbone_arch}}, adapter={{_base_.adapter}}))
