# CLIP ViT-B/16 (frozen) + adapters + the paper's classification head: the
# multi-level fusion of blocks 3/6/9 (as for segmentation), average pooling,
# MLP (Linear -> ReLU -> Dropout -> Linear) and mmpretrain's focal loss.
# CLIP mean/std normalisation happens inside the backbone, so the data
# preprocessor only converts BGR -> RGB.
model = dict(
    type='ImageClassifier',
    data_preprocessor=dict(
        type='ClsDataPreprocessor', mean=None, std=None, to_rgb=True, num_classes=2),
    backbone=dict(
        type='CLIPViT',  # registered in mmpretrain by mmseg_ht (same class as mmseg's)
        arch='ViT-B-16-quickgelu',
        pretrained=None,  # --cfg-options model.backbone.pretrained=/path/to/weights
        out_indices=(3, 6, 9),
        adapter=dict(),  # set by configs/_base_/adapters/*.py; empty = frozen baseline
    ),
    neck=None,
    head=dict(
        type='MultiLevelClsHead',
        num_classes=2,
        in_channels=(768, 768, 768),
        channels=512,
        hidden_channels=512,
        dropout=0.1,
        # gamma 2, alpha 0.5: equals the reference code's MONAI FocalLoss for two classes.
        loss=dict(type='FocalLoss', gamma=2.0, alpha=0.5, loss_weight=1.0),
    ),
)
