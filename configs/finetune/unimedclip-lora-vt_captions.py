# Stage 1: unimedclip + LoRA on the image and the text tower (the paper's "LoRA V+T");
# on the BiomedBERT text tower LoRA wraps each layer's query/key/value projections.
# BIOMEDBERT_DIR=<local BiomedBERT folder> python tools/train.py THIS_CONFIG \
#     --cfg-options model.backbone.pretrained=/path/weights   (one file: both towers)
_base_ = ['./unimedclip-lora_captions.py']
model = dict(
    text_encoder=dict(adapter=dict(type='LoRAAdapter', rank=16, alpha=32, targets=('q', 'k', 'v'))))
