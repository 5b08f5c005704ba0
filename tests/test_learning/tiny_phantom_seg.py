# CI learning task, CLIP side: a 16x16-token tiny tower (64 px, patch 4, 4 blocks, width 32)
# through the real bases (CLIPViT + adapter + MultiLevelAggHead + DiceCE + SurfaceMetric).
# The test sets the adapter; bottleneck 16 keeps the adapters' share of a 32-wide tower small.
_base_ = [
    '../../configs/_base_/models/clip_vit_seg.py', '../../configs/_base_/adapters/ht.py',
    './tiny_phantom_data.py'
]
model = dict(
    data_preprocessor=dict(size=({{_base_.size}}, {{_base_.size}})),
    backbone=dict(
        arch=dict(
            _delete_=True,
            embed_dim=32,
            quick_gelu=True,
            vision_cfg=dict(
                image_size={{_base_.size}}, layers=4, width=32, patch_size=4, head_width=16)),
        out_indices=(1, 2, 3),
        adapter={{_base_.adapter}}),
    decode_head=dict(in_channels=(32, 32, 32), channels=32))
