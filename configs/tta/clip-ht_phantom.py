# Test-time adaptation of the phantom demo segmentor (configs/demo/clip-ht_phantom.py) to a
# shifted phantom:
#   python tools/make_shifted_dataset.py data/phantom data/phantom-shifted --gain 0.6 --blur 2 \
#       --depth 1.3 --speckle 0.4 --attenuation 6
#   python tools/tta.py configs/tta/clip-ht_phantom.py CKPT data/phantom-shifted --out adapted.pth
_base_ = ['../demo/clip-ht_phantom.py']
# Entropy + flip consistency on adapters and norms; stop if a class share leaves [ref/2, ref*2].
tta = dict(steps=10, lr=1e-4, batch_size=4, adapt_split='test', flip_weight=1.0, band=2.0)
