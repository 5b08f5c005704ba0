# Runtime of the stage-1 contrastive configs (mmpretrain scope: multimodal
# models, PackInputs). `custom_imports` registers mmseg_ht first (and its
# mmcv.ops stand-in when only mmcv-lite is present).
custom_imports = dict(imports=['mmseg_ht', 'mmseg_ht.contrastive'], allow_failed_imports=False)
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
# Checkpoints as plain data (torch.load(weights_only=True) reads them), and
# adapter-only safetensors files in the work dir: adapters_best.safetensors
# (best retrieval/mean_R) and adapters_last.safetensors (end of training).
custom_hooks = [
    dict(type='mmseg.WeightsOnlyCheckpointHook'),
    dict(type='AdapterExportHook', save_best='retrieval/mean_R', rule='greater'),
]
