# CLIP ViT-B/16 (frozen) + adapters + the paper's multi-level aggregation head.
# CLIP mean/std normalisation happens inside the backbone (from the tower's own
# constants), so the data preprocessor only converts BGR -> RGB.
_base_ = ['../losses/dice_ce.py']
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
        adapter=dict(),  # set by configs/_base_/adapters/*.py; empty = frozen baseline
    ),
    decode_head=dict(
        type='MultiLevelAggHead',
        in_channels=(768, 768, 768),
        in_index=(0, 1, 2),
        channels=512,
        num_classes=2,
        align_corners=False,
        loss_decode={{_base_.seg_loss}},
    ),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'),
)
