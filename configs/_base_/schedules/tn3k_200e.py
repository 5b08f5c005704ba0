# TN3K: 2879 train-val images (614 predefined test), 8:2 split -> 2303 training images -> 72
# iterations/epoch.
# 200 epochs of batch 32 as an iteration-based loop: max_iters = 200 x 72 = 14400,
# validation and checkpoints every 10 epochs. Short run: --cfg-options
# train_cfg.max_iters=N (tools/train.py then ends the cosine schedule at N too).
_base_ = ['./adamw_cosine.py']
train_cfg = dict(max_iters=14400, val_interval=720)
param_scheduler = dict(T_max=14400, end=14400)
default_hooks = dict(checkpoint=dict(interval=720))
