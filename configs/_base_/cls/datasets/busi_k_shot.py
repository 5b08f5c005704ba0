# BUSI benign vs malignant with K training images per class (seeded; CoOp's K = 1, 2, 4, 8,
# 16): --cfg-options train_dataloader.dataset.shots=K train_dataloader.dataset.seed=S
_base_ = ['./busi.py']
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='KShotDataset',
        shots=16,
        seed=0,
        dataset={{_base_.train_dataloader.dataset}}))
