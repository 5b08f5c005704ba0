# Runtime shared by every mmseg_ht classification config (mmpretrain).
# `custom_imports` registers mmseg_ht (mmcv.ops stand-in) and its classification
# part (data sets, head, metric, zero-shot model; CLIPViT and the checkpoint
# hook in mmpretrain's registries) before anything is built.
custom_imports = dict(imports=['mmseg_ht', 'mmseg_ht.classification'],
                      allow_failed_imports=False)
default_scope = 'mmpretrain'
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)
# Checkpoints as plain data: they load with torch.load(weights_only=True), so
# testing and resuming never unpickle code (README, "Checkpoints and trust").
custom_hooks = [dict(type='WeightsOnlyCheckpointHook')]
