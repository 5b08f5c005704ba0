# CoOp's optimisation (Zhou et al.): SGD lr 0.002, momentum 0.9, cosine; 200 iterations of
# batch 32 (= 200 epochs of the 16-shot, two-class set). Keep the best checkpoint by F1.
_base_ = ['../../schedules/adamw_cosine.py']
max_iters = 200
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='SGD', lr=0.002, momentum=0.9, weight_decay=5e-4))
train_cfg = dict(max_iters=max_iters, val_interval=50)
param_scheduler = dict(T_max=max_iters, end=max_iters)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=50, save_best='cls/f1', rule='greater', max_keep_ckpts=1),
    visualization=dict(type='VisualizationHook', enable=False),
)
