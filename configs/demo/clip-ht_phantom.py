# `make demo`: HT on the built-in ultrasound phantom, a short CPU run that learns.
# No weights are downloaded, so the tower is randomly initialised; to learn in a few CPU
# minutes it is a small CLIP-style ViT instead of ViT-B/16: input 112 px (the 224-px phantom
# resized), patch 4 -> 28x28 tokens (8 px of the original image each), 4 blocks of width 128,
# maps of blocks 1/2/3 (as 3/6/9 of 12), HT adapters (bottleneck 64, as for ViT-B) after every block,
# the paper's head (reduce dim 128) and loss. Metrics are computed at the original 224 px.
# With CLIP weights use configs/ht/clip-ht_*.py and model.backbone.pretrained=FILE instead.
_base_ = [
    '../_base_/models/clip_vit_seg.py',
    '../_base_/datasets/phantom.py',
    '../_base_/schedules/adamw_cosine.py',
    '../_base_/default_runtime.py',
]
method_name = 'HT'
backbone_name = 'demo-random-ViT'
input_size = 112
model = dict(
    data_preprocessor=dict(size=(input_size, input_size)),
    backbone=dict(
        arch=dict(_delete_=True, embed_dim=128, quick_gelu=True,
                  vision_cfg=dict(image_size=input_size, layers=4, width=128, patch_size=4,
                                  head_width=32)),
        out_indices=(1, 2, 3),
        adapter=dict(type='HTAdapter', bottleneck=64, frequency_filter='spectral',
                     noise_estimation=True, blocks='all')),
    decode_head=dict(in_channels=(128, 128, 128), channels=128))
train_pipeline = [
    dict(type='LoadUltrasoundImage'),
    dict(type='LoadBinaryMask'),
    dict(type='Resize', scale=(input_size, input_size), keep_ratio=False),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadUltrasoundImage'),
    dict(type='Resize', scale=(input_size, input_size), keep_ratio=False),
    dict(type='LoadBinaryMask'),
    dict(type='PackSegInputs'),
]
max_iters = 400
# num_workers=0: on 2 cores, loader workers only compete with the model for the CPU.
train_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False,
                        dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(num_workers=0, persistent_workers=False,
                       dataset=dict(pipeline=test_pipeline))
train_cfg = dict(max_iters=max_iters, val_interval=100)
optim_wrapper = dict(optimizer=dict(lr=5e-3))
param_scheduler = dict(T_max=max_iters, end=max_iters)
default_hooks = dict(logger=dict(interval=20),
                     checkpoint=dict(interval=max_iters, max_keep_ckpts=1))
