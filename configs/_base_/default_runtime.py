# Runtime shared by every mmseg_ht segmentation config.
# `custom_imports` registers mmseg_ht (and installs its mmcv.ops stand-in when
# only mmcv-lite is present) before anything else is built.
custom_imports = dict(imports=['mmseg_ht'], allow_failed_imports=False)
default_scope = 'mmseg'
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
vis_backends = [dict(type='LocalVisBackend')]
# mmseg's SegLocalVisualizer, drawing also on non-contiguous images (browse_dataset.py).
visualizer = dict(type='ContiguousSegLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)
# Checkpoints as plain data: they load with torch.load(weights_only=True), so
# testing and resuming never unpickle code (README, "Checkpoints and trust").
# RNGStateHook stores torch's random state so a resumed run is bit-identical.
custom_hooks = [dict(type='WeightsOnlyCheckpointHook'), dict(type='RNGStateHook')]
