# Retrieval-augmented classification: the HT classifier of configs/cls/clip-ht_busi.py,
# its softmax blended 50/50 with the votes of the 16 most similar confirmed cases.
#   python tools/train.py configs/cls/clip-ht_busi.py ...   (same model and state dict)
#   python tools/build_reference_bank.py configs/retrieval/clip-ht-knn_busi.py \
#       --checkpoint CKPT --out bank.safetensors
#   python tools/test.py configs/retrieval/clip-ht-knn_busi.py CKPT \
#       --cfg-options model.retrieval.bank=bank.safetensors
# WORK_DIR/nearest_cases.jsonl lists every test image's nearest reference cases.
_base_ = ['../cls/clip-ht_busi.py']
custom_imports = dict(imports=['mmseg_ht', 'mmseg_ht.classification',
                               'mmseg_ht.classification.retrieval'])
method_name = 'HT + kNN'  # label in result tables
model = dict(
    type='RetrievalClassifier',
    retrieval=dict(bank=None, mode='knn', k=16, temperature=0.1, weight=0.5, feature='pooled',
                   show=5),
)
custom_hooks = [dict(type='WeightsOnlyCheckpointHook'), dict(type='RNGStateHook'),
                dict(type='NearestCasesHook', out_file='nearest_cases.jsonl')]
