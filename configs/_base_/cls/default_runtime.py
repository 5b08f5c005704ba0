# Runtime of the classification and zero-shot configs: the shared runtime
# (configs/_base_/default_runtime.py) in mmpretrain's scope. `custom_imports`
# also registers mmseg_ht.classification (data sets, head, metric, zero-shot
# model; CLIPViT and the checkpoint hook in mmpretrain's registries).
_base_ = ['../default_runtime.py']
custom_imports = dict(imports=['mmseg_ht', 'mmseg_ht.classification'])
default_scope = 'mmpretrain'
visualizer = dict(_delete_=True, type='UniversalVisualizer', vis_backends={{_base_.vis_backends}})
