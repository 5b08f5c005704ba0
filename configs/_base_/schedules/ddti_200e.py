# DDTI: 637 annotated images, 8:1:1 split -> 509 training images -> ceil(509/32) = 16
# iterations/epoch.
# 200 epochs of batch 32 as an iteration-based loop: max_iters = 200 x 16 = 3200,
# validation and checkpoints every 10 epochs. Short run: --cfg-options
# train_cfg.max_iters=N (tools/train.py then ends the cosine schedule at N too).
_base_ = ['./adamw_cosine.py']
train_cfg = dict(max_iters=3200, val_interval=160)
param_scheduler = dict(T_max=3200, end=3200)
default_hooks = dict(checkpoint=dict(interval=160))
