# Test-time adaptation of the BUSI HT classifier (configs/cls/clip-ht_busi.py): the guard
# watches the share of images predicted per class.
#   python tools/tta.py configs/tta/clip-ht-cls_busi.py CKPT data/busi-shifted --out adapted.pth
_base_ = ['../cls/clip-ht_busi.py']
tta = dict(steps=10, lr=1e-4, batch_size=4, adapt_split='test', flip_weight=1.0, band=2.0)
