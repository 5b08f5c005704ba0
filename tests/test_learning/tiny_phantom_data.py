# The CI learning task's data and schedule: a 64-px phantom, 150 seeded iterations of batch 8.
# tiny_phantom_seg.py (CLIP tower + adapter) and tiny_phantom_unet.py add the model.
_base_ = [
    '../../configs/_base_/datasets/phantom.py',
    '../../configs/_base_/schedules/adamw_cosine.py',
    '../../configs/_base_/default_runtime.py',
]
size = 64
train_pipeline = [
    dict(type='LoadUltrasoundImage'),
    dict(type='LoadBinaryMask'),
    dict(type='Resize', scale=(size, size), keep_ratio=False),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadUltrasoundImage'),
    dict(type='Resize', scale=(size, size), keep_ratio=False),
    dict(type='LoadBinaryMask'),
    dict(type='PackSegInputs'),
]
max_iters = 150
train_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
optim_wrapper = dict(optimizer=dict(lr=2e-3))
param_scheduler = dict(T_max=max_iters, end=max_iters)
default_hooks = dict(
    logger=dict(interval=25),
    checkpoint=dict(interval=max_iters, max_keep_ckpts=1, save_best=None),
    visualization=dict(draw=False))
