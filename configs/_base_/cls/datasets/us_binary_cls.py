# Benign/malignant classification from a converter's output folder: images in
# img_dir/{train,val,test} (the same seeded split as segmentation), labels in
# labels.csv. Every data set config sets dataset_type and data_root (from the
# DATA_ROOT environment variable: the converter's OUT_DIR).
# LoadUltrasoundImage reads like mmpretrain's LoadImageFromFile, but 16-bit images are
# stretched (not cut to their high byte) and truncated/damaged files are an error naming
# them: the segmentation loader (mmseg_ht.datasets.transforms).
image_size = (224, 224)
train_pipeline = [
    dict(type='LoadUltrasoundImage'),
    dict(type='Resize', scale=image_size, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadUltrasoundImage'),
    dict(type='Resize', scale=image_size, keep_ratio=False),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(data_prefix=dict(img_path='img_dir/train'), pipeline=train_pipeline),
)
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(data_prefix=dict(img_path='img_dir/val'), pipeline=test_pipeline, test_mode=True),
)
test_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(data_prefix=dict(img_path='img_dir/test'), pipeline=test_pipeline, test_mode=True),
)
# Accuracy, precision, recall, F1 (positive class: malignant) and ROC AUC, in percent.
val_evaluator = dict(type='BinaryClsMetric', positive_class='malignant')
test_evaluator = val_evaluator
