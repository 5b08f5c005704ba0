# Runtime of the CoOp configs: the classification runtime, plus the CoOp model and K-shot
# data set registrations and the hook writing WORK_DIR/prompt_context.safetensors.
_base_ = ['./default_runtime.py']
custom_imports = dict(imports=[
    'mmseg_ht', 'mmseg_ht.classification', 'mmseg_ht.classification.coop',
    'mmseg_ht.classification.k_shot'
])
custom_hooks = [
    dict(type='WeightsOnlyCheckpointHook'),
    dict(type='RNGStateHook'),
    dict(type='PromptContextExportHook')
]
