# LN-INT (in-house): assumed ~1000 training images -> 32 iterations/epoch; set max_iters for your
# set (200 x ceil(n_train/32)).
# 200 epochs of batch 32 as an iteration-based loop: max_iters = 200 x 32 = 6400,
# validation and checkpoints every 10 epochs. Short run: --cfg-options
# train_cfg.max_iters=N (tools/train.py then ends the cosine schedule at N too).
_base_ = ['./adamw_cosine.py']
train_cfg = dict(max_iters=6400, val_interval=320)
param_scheduler = dict(T_max=6400, end=6400)
default_hooks = dict(checkpoint=dict(interval=320))
