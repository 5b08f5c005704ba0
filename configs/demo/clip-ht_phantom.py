# `make demo`: HT on the built-in ultrasound phantom, a short CPU run.
# The real ViT-B/16 architecture, but randomly initialised (no weights are
# downloaded): the numbers show the pipeline works, not what CLIP weights give.
_base_ = [
    '../_base_/models/clip_vit_seg.py',
    '../_base_/backbones/clip.py',
    '../_base_/adapters/ht.py',
    '../_base_/datasets/phantom.py',
    '../_base_/schedules/adamw_cosine.py',
    '../_base_/default_runtime.py',
]
model = dict(backbone=dict(arch={{_base_.backbone_arch}}, adapter={{_base_.adapter}}))
max_iters = 60
train_dataloader = dict(batch_size=8)
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = dict(T_max=max_iters, end=max_iters)
default_hooks = dict(logger=dict(interval=10),
                     checkpoint=dict(interval=max_iters, max_keep_ckpts=1))
