# Baseline "CLIPSeg": CLIPSeg's text-conditioned decoder (Lueddecke & Ecker 2022;
# reduce_dim 64, 4 heads, FiLM, "complex" transposed-conv upsampler) on the
# frozen CLIP ViT-B/16 image tower (no adapter), blocks 3/6/9. The condition
# is the mean normalised CLIP text embedding of the data set's prompts
# (model.decode_head.prompts, set by the leaves), computed once at build.
# Weights: the same local CLIP file for both towers:
#   --cfg-options model.backbone.pretrained=W model.decode_head.text_encoder.pretrained=W
# As for CLIPViT, normalisation happens inside the backbone (mean=None here).
method_name = 'CLIPSeg'  # label in result tables
backbone_name = 'CLIP'
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=None,
    std=None,
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=(224, 224),
)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='CLIPViT',
        arch='ViT-B-16-quickgelu',
        pretrained=None,  # --cfg-options model.backbone.pretrained=/path/to/weights
        out_indices=(3, 6, 9),
        adapter=None,
    ),
    decode_head=dict(
        type='CLIPSegHead',
        in_channels=(768, 768, 768),
        in_index=(0, 1, 2),
        channels=32,
        reduce_dim=64,
        num_heads=4,
        dim_feedforward=2048,
        upsample_kernels=(4, 4),  # patch 16 -> x4 -> x4
        text_encoder=dict(arch='ViT-B-16-quickgelu', pretrained=None),
        prompts=['a lesion in an ultrasound image'],  # the leaves set one per data set
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
