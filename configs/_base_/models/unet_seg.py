# Baseline "UNet": mmseg's UNet (unet-s5-d16) + FCN head, as mmseg's
# configs/_base_/models/fcn_unet_s5-d16.py, trained from scratch (no weights).
# Changes to mmseg's config: BN instead of SyncBN (runs on CPU and one GPU),
# 224x224 input (divisible by 16, the four down-samplings), whole-image
# inference, and the paper's CE + Dice loss on the main head (mmseg's
# auxiliary FCN head on the 1/2-resolution decoder stage is kept, CE x 0.4).
method_name = 'UNet'  # label in result tables
backbone_name = '-'
# The shared schedule's AdamW lr 1e-4 is meant for adapters/heads on a frozen
# tower; a UNet trained from scratch (BN, ~29 M parameters) learns too slowly
# with it in 200 epochs. 1e-3 is the usual Adam rate for UNets from scratch.
# The leaves set it: optim_wrapper = dict(optimizer=dict(lr={{_base_.optimizer_lr}})).
optimizer_lr = 1e-3
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],  # ImageNet mean/std (RGB, 0-255)
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=(224, 224),
)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(
        type='UNet',
        in_channels=3,
        base_channels=64,
        num_stages=5,
        strides=(1, 1, 1, 1, 1),
        enc_num_convs=(2, 2, 2, 2, 2),
        dec_num_convs=(2, 2, 2, 2),
        downsamples=(True, True, True, True),
        enc_dilations=(1, 1, 1, 1, 1),
        dec_dilations=(1, 1, 1, 1),
        with_cp=False,
        conv_cfg=None,
        norm_cfg=norm_cfg,
        act_cfg=dict(type='ReLU'),
        upsample_cfg=dict(type='InterpConv'),
        norm_eval=False),
    decode_head=dict(
        type='FCNHead',
        in_channels=64,
        in_index=4,
        channels=64,
        num_convs=1,
        concat_input=False,
        dropout_ratio=0.1,
        num_classes=2,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=[
            dict(type='CrossEntropyLoss', use_sigmoid=False, avg_non_ignore=True, loss_weight=1.0),
            dict(type='DiceLoss', use_sigmoid=False, naive_dice=True, loss_weight=1.0),
        ]),
    auxiliary_head=dict(
        type='FCNHead',
        in_channels=128,
        in_index=3,
        channels=64,
        num_convs=1,
        concat_input=False,
        dropout_ratio=0.1,
        num_classes=2,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, avg_non_ignore=True,
                         loss_weight=0.4)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'),
)
