# BUSI: 647 lesion images, 8:1:1 split -> 517 training images -> ceil(517/32) = 17 iterations/epoch.
# 200 epochs of batch 32 as an iteration-based loop (max_iters = 200 x
# iterations per epoch). For a short run: --cfg-options train_cfg.max_iters=N
# (tools/train.py then ends the cosine schedule at N as well).
_base_ = ['./adamw_cosine.py']
iters_per_epoch = 17
max_iters = 200 * iters_per_epoch
train_cfg = dict(max_iters=max_iters, val_interval=10 * iters_per_epoch)
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=0.0, by_epoch=False,
         begin=0, end=max_iters),
]
default_hooks = dict(checkpoint=dict(interval=10 * iters_per_epoch))
