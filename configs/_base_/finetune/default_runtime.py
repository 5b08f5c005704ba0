# Runtime of the stage-1 contrastive configs: the shared runtime in
# mmpretrain's scope (multimodal models, PackInputs), plus adapter-only
# safetensors files in the work dir: adapters_best.safetensors (best
# retrieval/mean_R) and adapters_last.safetensors (end of training).
_base_ = ['../default_runtime.py']
custom_imports = dict(imports=['mmseg_ht', 'mmseg_ht.contrastive'])
default_scope = 'mmpretrain'
visualizer = dict(_delete_=True, type='UniversalVisualizer', vis_backends={{_base_.vis_backends}})
custom_hooks = [
    dict(type='mmseg.WeightsOnlyCheckpointHook'),
    dict(type='RNGStateHook'),
    dict(type='AdapterExportHook', save_best='retrieval/mean_R', rule='greater'),
]
