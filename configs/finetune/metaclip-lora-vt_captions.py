# Stage 1 (contrastive adaptation): metaclip + LoRA on the image and the text tower (the paper's "LoRA V+T").
# python tools/train.py THIS_CONFIG --cfg-options model.backbone.pretrained=/path/weights
_base_ = ['./metaclip-lora_captions.py']
model = dict(
    text_encoder=dict(adapter=dict(type='LoRAAdapter', rank=16, alpha=32, targets=('q', 'k', 'v'))))
