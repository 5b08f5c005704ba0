# CI learning task with LoRA (r=16, alpha=32 on q, k, v of every block) instead of HT.
_base_ = ['./tiny_phantom_seg.py']
model = dict(
    backbone=dict(
        adapter=dict(
            _delete_=True,
            type='LoRAAdapter',
            rank=16,
            alpha=32,
            targets=('q', 'k', 'v'),
            blocks='all')))
