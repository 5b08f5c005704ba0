# Stage-1 schedule: 32 epochs at batch 32 (paper), AdamW + cosine, as an
# iteration-based loop: max_iters = 32 x iters_per_epoch, iters_per_epoch =
# ceil(training pairs / 32). The default fits the BUSI-captions demo (702
# training pairs -> 22); tools/dataset_converters/captions.py prints the
# numbers for your corpus, pass them as
#   --cfg-options train_cfg.max_iters=N train_cfg.val_interval=M
# (tools/train.py then ends the cosine schedule at N as well).
iters_per_epoch = 22
max_iters = 32 * iters_per_epoch
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.95), weight_decay=0.01),
    # no weight decay on a learnable logit scale
    paramwise_cfg=dict(custom_keys={'logit_scale': dict(decay_mult=0.0)}),
)
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=4 * iters_per_epoch)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(
        type='CosineAnnealingLR',
        T_max=max_iters,
        eta_min=0.0,
        by_epoch=False,
        begin=0,
        end=max_iters),
]
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=10, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=4 * iters_per_epoch,
        save_best='retrieval/mean_R',
        rule='greater',
        max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)
