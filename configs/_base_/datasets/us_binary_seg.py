# Binary ultrasound segmentation data in the mmseg layout written by
# tools/dataset_converters (img_dir/{train,val,test}, ann_dir/... with 0/1 masks).
# Every data set config sets dataset_type and data_root; data_root comes from
# the DATA_ROOT environment variable (the converter's OUT_DIR).
# Images: mmcv's LoadImageFromFile reading every depth/channel count ('unchanged'),
# then CheckUltrasoundImage (mmseg_ht.datasets.transforms): 16-bit and RGBA images
# converted (not cut), gray to 3 channels, cut files an error naming them. The loader
# keeps mmcv's name so that mmseg's MMSegInferencer can swap it for its own.
# LoadBinaryMask reads like mmseg's LoadAnnotations, but masks that are not 0/1 (0/255,
# colour, soft edges, 16-bit) or not of their image's size are an error naming the file.
crop_size = (224, 224)
train_pipeline = [
    dict(type='LoadImageFromFile', color_type='unchanged'),
    dict(type='CheckUltrasoundImage'),
    dict(type='LoadBinaryMask'),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', color_type='unchanged'),
    dict(type='CheckUltrasoundImage'),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='LoadBinaryMask'),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        data_prefix=dict(img_path='img_dir/train', seg_map_path='ann_dir/train'),
        pipeline=train_pipeline),
)
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        data_prefix=dict(img_path='img_dir/val', seg_map_path='ann_dir/val'),
        pipeline=test_pipeline),
)
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        data_prefix=dict(img_path='img_dir/test', seg_map_path='ann_dir/test'),
        pipeline=test_pipeline),
)
# Dice/IoU/HD95/ASD per image at the original resolution, averaged; empty
# masks are penalised and counted (see README, "Metrics").
val_evaluator = dict(type='SurfaceMetric')
test_evaluator = dict(type='SurfaceMetric')
