# The segmentation schedule of BUSI (AdamW lr 1e-4, wd 0.01, betas 0.9/0.95,
# cosine, 17 iterations/epoch x 200 epochs = 3400 iterations, batch 32),
# with mmpretrain's hooks: keep the best checkpoint by the malignant F1.
_base_ = ['../../schedules/busi_200e.py']
default_hooks = dict(
    checkpoint=dict(save_best='cls/f1', rule='greater'),
    visualization=dict(type='VisualizationHook', enable=False),
)
