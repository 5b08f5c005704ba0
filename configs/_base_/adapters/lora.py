# LoRA on q, k, v of every image-tower block (reference code: r=16, alpha=32).
adapter = dict(type='LoRAAdapter', rank=16, alpha=32, targets=('q', 'k', 'v'), blocks='all')
method_name = 'LoRA'  # label in result tables
