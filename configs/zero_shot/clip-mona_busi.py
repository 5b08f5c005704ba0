# Zero-shot benign vs malignant: clip + stage-1 mona adapters on busi (breast prompts).
#   DATA_ROOT=<converted set> python tools/zero_shot.py configs/zero_shot/clip-mona_busi.py --checkpoint ADAPTERS.safetensors \
#       --cfg-options model.backbone.pretrained=W model.text_encoder.pretrained=W
_base_ = [
    '../_base_/cls/models/clip_zero_shot.py',
    '../_base_/backbones/clip.py',
    '../_base_/cls/text_towers/clip.py',
    '../_base_/adapters/mona.py',
    '../_base_/cls/datasets/busi.py',
    '../_base_/cls/default_runtime.py',
]
model = dict(
    backbone=dict(arch={{_base_.backbone_arch}}, adapter={{_base_.adapter}}),
    text_encoder=dict(arch={{_base_.text_arch}}),
    prompts='breast',
)
