# LN-INT (in-house): assumed ~1000 training images -> 32 iterations/epoch; set max_iters for your set (200 x ceil(n_train/32)).
# 200 epochs of batch 32 as an iteration-based loop (max_iters = 200 x
# iterations per epoch). For a short run: --cfg-options train_cfg.max_iters=N
# (tools/train.py then ends the cosine schedule at N as well).
_base_ = ['./adamw_cosine.py']
iters_per_epoch = 32
max_iters = 200 * iters_per_epoch
train_cfg = dict(max_iters=max_iters, val_interval=10 * iters_per_epoch)
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=0.0, by_epoch=False,
         begin=0, end=max_iters),
]
default_hooks = dict(checkpoint=dict(interval=10 * iters_per_epoch))
