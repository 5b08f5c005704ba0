# Baseline "Frozen DINOv2" (classification): the frozen DINOv2 ViT-B/14 of
# configs/_base_/backbones/dinov2.py + the paper's classification head
# (MultiLevelClsHead, focal loss), as for the frozen CLIP classifier.
_base_ = ['./clip_vit_cls.py', '../../backbones/dinov2.py']
method_name = 'Frozen'  # label in result tables
model = dict(
    data_preprocessor=dict(mean={{_base_.imagenet_mean}}, std={{_base_.imagenet_std}}),
    backbone={{_base_.dinov2_backbone}},
)
