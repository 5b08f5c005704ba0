# BUSI: 647 lesion images, 8:1:1 split -> 517 training images -> ceil(517/32) = 17 iterations/epoch.
# 200 epochs of batch 32 as an iteration-based loop: max_iters = 200 x 17 = 3400,
# validation and checkpoints every 10 epochs. Short run: --cfg-options
# train_cfg.max_iters=N (tools/train.py then ends the cosine schedule at N too).
_base_ = ['./adamw_cosine.py']
train_cfg = dict(max_iters=3400, val_interval=170)
param_scheduler = dict(T_max=3400, end=3400)
default_hooks = dict(checkpoint=dict(interval=170))
