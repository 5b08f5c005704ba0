# Stage-1 model: CLIP image tower (frozen) + adapters, CLIP text tower (frozen;
# LoRA on it only in the V+T configs), symmetric InfoNCE. Only adapters train.
# The text tower takes arch and pretrained from the backbone unless set here, so
#   --cfg-options model.backbone.pretrained=/path/ViT-B-16.pt
# loads both towers from one CLIP weights file.
model = dict(
    type='ContrastiveCLIP',
    # images arrive as 0-255 BGR; CLIP mean/std is applied inside the backbone
    data_preprocessor=dict(type='ImgDataPreprocessor', bgr_to_rgb=True),
    backbone=dict(
        type='CLIPViT',
        arch='ViT-B-16-quickgelu',
        pretrained=None,
        adapter=dict(),  # set by configs/_base_/adapters/*.py
        adapter_checkpoint=None,
    ),
    # arch/pretrained: the backbone's unless given here (Hugging Face text towers
    # of BiomedCLIP/UniMedCLIP set arch). adapter: empty = frozen text tower;
    # the LoRA V+T configs set LoRAAdapter here.
    text_encoder=dict(type='OpenCLIPTextEncoder', adapter=dict()),
    loss=dict(type='InfoNCELoss'),
    # Fixed temperature 0.07 (CLIP's initial value; logit scale 1/0.07 = 14.3).
    # CLIP's learnable scale instead: dict(init='pretrained', learnable=True, max=100)
    logit_scale=dict(init=1 / 0.07, learnable=False, max=100.0),
)
