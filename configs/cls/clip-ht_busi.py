# clip image tower + ht, benign vs malignant on busi (mmpretrain).
_base_ = [
    '../_base_/cls/models/clip_vit_cls.py',
    '../_base_/backbones/clip.py',
    '../_base_/adapters/ht.py',
    '../_base_/cls/datasets/busi.py',
    '../_base_/cls/schedules/busi_200e.py',
    '../_base_/cls/default_runtime.py',
]
model = dict(backbone=dict(arch={{_base_.backbone_arch}}, adapter={{_base_.adapter}}))
