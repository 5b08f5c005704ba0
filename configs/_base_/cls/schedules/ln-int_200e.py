# The segmentation schedule of LN-INT (set max_iters = 200 x ceil(n_train / 32)
# for your set), with mmpretrain's hooks: keep the best checkpoint by the malignant F1.
_base_ = ['../../schedules/ln-int_200e.py']
default_hooks = dict(
    checkpoint=dict(save_best='cls/f1', rule='greater'),
    visualization=dict(type='VisualizationHook', enable=False),
)
