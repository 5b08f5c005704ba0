# CI learning task with Mona (bottleneck 16 on the 32-wide tiny tower) instead of HT.
_base_ = ['./tiny_phantom_seg.py']
model = dict(
    backbone=dict(adapter=dict(_delete_=True, type='MonaAdapter', bottleneck=16, blocks='all')))
