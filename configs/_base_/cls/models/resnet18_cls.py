# Baseline "ResNet-18" (classification): mmpretrain's ResNet-18, global average
# pooling and a linear head with the same focal loss as the CLIP classifier.
# All of it trains. ImageNet weights are a local file the user names, e.g.
# mmpretrain's resnet18_8xb32_in1k_20210831-fbbb1da6.pth:
#   --cfg-options model.backbone.pretrained=/path/to/it.pth
# (its 'backbone.*' keys load, the ImageNet head is ignored); without one the
# network trains from scratch and a banner says so. The shared AdamW schedule
# (lr 1e-4, wd 0.01, cosine) is kept: it is a usual fine-tuning rate for an
# ImageNet-initialised ResNet; for training from scratch consider
# --cfg-options optim_wrapper.optimizer.lr=1e-3.
method_name = 'ResNet-18'  # label in result tables
backbone_name = '-'
model = dict(
    type='ImageClassifier',
    data_preprocessor=dict(
        type='ClsDataPreprocessor',
        num_classes=2,
        mean=[123.675, 116.28, 103.53],  # ImageNet mean/std (RGB, 0-255)
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    backbone=dict(
        type='ExternalBackbone',
        backbone=dict(
            type='mmpretrain.ResNet', depth=18, num_stages=4, out_indices=(3, ), style='pytorch'),
        pretrained=None,  # --cfg-options model.backbone.pretrained=/path/to/weights
        prefix='backbone.',
        frozen=False,
    ),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=2,
        in_channels=512,
        topk=(1, ),
        # gamma 2, alpha 0.5: as the CLIP classifier (configs/_base_/cls/models/clip_vit_cls.py).
        loss=dict(type='FocalLoss', gamma=2.0, alpha=0.5, loss_weight=1.0),
    ),
)
