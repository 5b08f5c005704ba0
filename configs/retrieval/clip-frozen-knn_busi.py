# Retrieval-augmented classification on the frozen-CLIP classifier (the model of
# configs/cls/clip-frozen_busi.py): softmax blended 50/50 with kNN votes over the bank.
_base_ = ['./clip-ht-knn_busi.py']
method_name = 'Frozen + kNN'  # label in result tables
model = dict(backbone=dict(adapter=None))
