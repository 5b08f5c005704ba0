# unimedclip image tower + lora, benign vs malignant on ln-int (mmpretrain).
_base_ = [
    '../_base_/cls/models/clip_vit_cls.py',
    '../_base_/backbones/unimedclip.py',
    '../_base_/adapters/lora.py',
    '../_base_/cls/datasets/ln-int.py',
    '../_base_/cls/schedules/ln-int_200e.py',
    '../_base_/cls/default_runtime.py',
]
model = dict(backbone=dict(arch={{_base_.backbone_arch}}, adapter={{_base_.adapter}}))
