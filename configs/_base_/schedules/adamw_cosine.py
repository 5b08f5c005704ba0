# The paper's optimisation: AdamW (lr 1e-4, weight decay 0.01, betas of the
# reference code), cosine annealing, batch 32 (set in the data set configs),
# expressed as an iteration-based loop. Data-set schedules set max_iters.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.95), weight_decay=0.01),
)
train_cfg = dict(type='IterBasedTrainLoop', max_iters=1000, val_interval=100)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# A single dict (not a list) so data-set schedules can override T_max/end only.
param_scheduler = dict(
    type='CosineAnnealingLR', T_max=1000, eta_min=0.0, by_epoch=False, begin=0, end=1000)
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=100,
        save_best='Dice',
        rule='greater',
        max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'),
)
