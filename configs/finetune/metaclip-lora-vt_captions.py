# Stage 1 (contrastive adaptation): metaclip + LoRA on the image and the text tower (the paper's "LoRA V+T").
# python tools/train.py THIS_CONFIG --cfg-options model.backbone.pretrained=/path/weights
_base_ = [
    '../_base_/finetune/contrastive_clip.py',
    '../_base_/backbones/metaclip.py',
    '../_base_/adapters/lora.py',
    '../_base_/finetune/captions.py',
    '../_base_/finetune/captions_32e.py',
    '../_base_/finetune/default_runtime.py',
]
model = dict(
    backbone=dict(arch={{_base_.backbone_arch}}, adapter={{_base_.adapter}}),
    text_encoder=dict(adapter=dict(type='LoRAAdapter', rank=16, alpha=32, targets=('q', 'k', 'v'))))
