# Baseline "UNet" at the paper's size (Table II: 1.8 M trainable parameters):
# mmseg's UNet with 5 levels of 16-32-64-128-256 channels (base_channels=16),
# two 3x3 conv + BN + ReLU per level, bilinear up-sampling (InterpConv), trained
# from scratch (no weights), + an FCN head (one 3x3 conv, dropout 0.1, 1x1 conv
# to the classes) on the full-resolution decoder output. This is the reference
# code's UNet (5 levels, 16..256 channels, BN, dropout, bilinear up); mmseg's
# fcn_unet_s5-d16 uses base_channels=64 (29 M) and an auxiliary head, which the
# paper's UNet does not have. Loss: the paper's DiceCE, as for every segmentor.
_base_ = ['../losses/dice_ce.py']
method_name = 'UNet'  # label in result tables
backbone_name = '-'
# The shared schedule's AdamW lr 1e-4 is meant for adapters/heads on a frozen
# tower; a UNet trained from scratch uses the reference code's 1e-3.
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
        base_channels=16,
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
        in_channels=16,
        in_index=4,
        channels=16,
        num_convs=1,
        concat_input=False,
        dropout_ratio=0.1,
        num_classes=2,
        norm_cfg=norm_cfg,
        align_corners=False,
        # PyTorch's default init for the classifier, as the reference UNet's final nn.Conv2d.
        # mmseg's default (conv_seg ~ N(0, 0.01), bias 0) on these post-ReLU (non-negative)
        # features makes the UNet predict "no lesion" for hundreds of iterations while its
        # loss falls (README, "Learning you can see": 12.5 % vs 80 % Dice on the CI task).
        init_cfg=None,
        loss_decode={{_base_.seg_loss}}),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'),
)
