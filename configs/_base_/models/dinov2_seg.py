# Baseline "Frozen DINOv2": a frozen DINOv2 ViT-B/14 (mmpretrain's
# VisionTransformer as in mmpretrain's configs/dinov2) + the paper's
# multi-level aggregation head, exactly as for the frozen CLIP baseline.
# At 224x224 the 14-pixel patches give 16x16 token maps of blocks 3/6/9
# (0-based, as CLIPViT's out_indices). The leaves add 'mmpretrain.models' to
# custom_imports (mmseg_ht does not import mmpretrain by itself).
# Weights: mmpretrain's vit-base-p14_dinov2-pre_3rdparty_20230426-ba246503.pth
# (a local file): --cfg-options model.backbone.pretrained=/path/to/it.pth
# Its keys are 'backbone.*' (prefix stripped); 'mask_token' (DINOv2's masked-
# image-modelling token, not part of mmpretrain's ViT) is dropped; its 518-px
# position embedding is resized to 224 px by mmpretrain's load hook.
method_name = 'Frozen'  # label in result tables
backbone_name = 'DINOv2'
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],  # ImageNet mean/std (RGB, 0-255), as DINOv2
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=(224, 224),
)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
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
        ignore_keys=('mask_token',),
        frozen=True,
    ),
    decode_head=dict(
        type='MultiLevelAggHead',
        in_channels=(768, 768, 768),
        in_index=(0, 1, 2),
        channels=512,
        num_classes=2,
        align_corners=False,
        loss_decode=[
            dict(type='CrossEntropyLoss', use_sigmoid=False, avg_non_ignore=True, loss_weight=1.0),
            dict(type='DiceLoss', use_sigmoid=False, naive_dice=True, loss_weight=1.0),
        ],
    ),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'),
)
