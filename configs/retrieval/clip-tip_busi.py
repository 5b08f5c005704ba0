# Zero-shot prompt ensembles (configs/zero_shot/clip_busi.py) + a Tip-Adapter cache of
# confirmed cases: logits = 100 * cos(image, prompts) + alpha * exp(-beta (1 - cos)) @ labels.
#   python tools/build_reference_bank.py configs/retrieval/clip-tip_busi.py --out bank.safetensors \
#       --cfg-options model.backbone.pretrained=W model.text_encoder.pretrained=W
# Tested in-process by benchmarks/beyond_paper.py (tools/zero_shot.py accepts only the plain
# PromptEnsembleClassifier type).
_base_ = ['../zero_shot/clip_busi.py']
custom_imports = dict(imports=['mmseg_ht', 'mmseg_ht.classification',
                               'mmseg_ht.classification.retrieval'])
method_name = 'Zero-shot + Tip-Adapter'  # label in result tables
model = dict(type='RetrievalZeroShotClassifier',
             retrieval=dict(bank=None, mode='tip', alpha=1.0, beta=5.5, show=5))
custom_hooks = [dict(type='WeightsOnlyCheckpointHook'), dict(type='RNGStateHook'),
                dict(type='NearestCasesHook', out_file='nearest_cases.jsonl')]
