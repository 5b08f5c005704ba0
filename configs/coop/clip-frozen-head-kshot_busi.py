# The supervised counterpart of CoOp on the same K shots per class: the frozen CLIP image
# tower + the paper's classification head (configs/cls/clip-frozen_busi.py), trained on
# KShotDataset (train_dataloader.dataset.shots=K, .seed=S) with the CoOp iteration budget.
_base_ = ['../cls/clip-frozen_busi.py']
custom_imports = dict(imports=['mmseg_ht', 'mmseg_ht.classification',
                               'mmseg_ht.classification.k_shot'])
method_name = 'Frozen head (K-shot)'  # label in result tables
max_iters = 200
train_dataloader = dict(dataset=dict(_delete_=True, type='KShotDataset', shots=16, seed=0,
                                     dataset={{_base_.train_dataloader.dataset}}))
train_cfg = dict(max_iters=max_iters, val_interval=50)
param_scheduler = dict(T_max=max_iters, end=max_iters)
default_hooks = dict(checkpoint=dict(interval=50, max_keep_ckpts=1))
