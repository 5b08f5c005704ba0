# Prostate (MicroSegNet): ~2060 training slices with prostate, 8:2 split -> ~1648 -> 52
# iterations/epoch.
# 200 epochs of batch 32 as an iteration-based loop: max_iters = 200 x 52 = 10400,
# validation and checkpoints every 10 epochs. Short run: --cfg-options
# train_cfg.max_iters=N (tools/train.py then ends the cosine schedule at N too).
_base_ = ['./adamw_cosine.py']
train_cfg = dict(max_iters=10400, val_interval=520)
param_scheduler = dict(T_max=10400, end=10400)
default_hooks = dict(checkpoint=dict(interval=520))
