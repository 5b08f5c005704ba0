# DINOv2 ViT-B/14, frozen: mmpretrain's VisionTransformer as in mmpretrain's
# configs/dinov2, wrapped by ExternalBackbone (weights rule, freezing). At
# 224x224 the 14-pixel patches give 16x16 token maps of blocks 3/6/9 (0-based,
# as CLIPViT's out_indices). Configs using it add 'mmpretrain.models' to
# custom_imports (mmseg_ht does not import mmpretrain by itself).
# Weights: mmpretrain's vit-base-p14_dinov2-pre_3rdparty_20230426-ba246503.pth
# (a local file): --cfg-options model.backbone.pretrained=/path/to/it.pth
# Its keys are 'backbone.*' (prefix stripped); 'mask_token' (DINOv2's masked-
# image-modelling token, not part of mmpretrain's ViT) is dropped; its 518-px
# position embedding is resized to 224 px by mmpretrain's load hook.
backbone_name = 'DINOv2'  # label in result tables
imagenet_mean = [123.675, 116.28, 103.53]  # ImageNet mean/std (RGB, 0-255), as DINOv2
imagenet_std = [58.395, 57.12, 57.375]
dinov2_backbone = dict(
    _delete_=True,  # replaces the CLIPViT backbone of the model base
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
    ignore_keys=('mask_token', ),
    frozen=True,
)
