# Baseline "Frozen DINOv2" (classification): the frozen DINOv2 ViT-B/14 of
# configs/_base_/models/dinov2_seg.py (16x16 maps of blocks 3/6/9 at 224x224)
# + the paper's classification head (MultiLevelClsHead, focal loss), as for the
# frozen CLIP classifier. Weights: mmpretrain's DINOv2 ViT-B/14 file (local):
#   --cfg-options model.backbone.pretrained=/path/to/it.pth
method_name = 'Frozen'  # label in result tables
backbone_name = 'DINOv2'
model = dict(
    type='ImageClassifier',
    data_preprocessor=dict(type='ClsDataPreprocessor', num_classes=2,
                           mean=[123.675, 116.28, 103.53],  # ImageNet mean/std, as DINOv2
                           std=[58.395, 57.12, 57.375], to_rgb=True),
    backbone=dict(
        type='ExternalBackbone',
        backbone=dict(
            type='mmpretrain.VisionTransformer',
            arch='base',
            img_size=224,
            patch_size=14,
            layer_scale_init_value=1e-5,
            out_type='featmap',
            out_indices=(3, 6, 9),
        ),
        pretrained=None,  # --cfg-options model.backbone.pretrained=/path/to/weights
        prefix='backbone.',
        ignore_keys=('mask_token',),  # in mmpretrain's DINOv2 files, not in its ViT
        frozen=True,
    ),
    neck=None,
    head=dict(
        type='MultiLevelClsHead',
        num_classes=2,
        in_channels=(768, 768, 768),
        channels=512,
        hidden_channels=512,
        dropout=0.1,
        loss=dict(type='FocalLoss', gamma=2.0, alpha=0.5, loss_weight=1.0),
    ),
)
