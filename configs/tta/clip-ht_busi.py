# Test-time adaptation of the BUSI HT segmentor (configs/ht/clip-ht_busi.py) to another
# site/scanner, e.g. a shifted BUSI (tools/make_shifted_dataset.py):
#   python tools/tta.py configs/tta/clip-ht_busi.py CKPT data/busi-shifted --out adapted.pth
_base_ = ['../ht/clip-ht_busi.py']
tta = dict(steps=10, lr=1e-4, batch_size=4, adapt_split='test', flip_weight=1.0, band=2.0)
