# CoOp prompt learning: the frozen CLIP image tower (pooled, projected embedding) against
# "[V1]..[V16] <class name>." through the frozen text tower; only the 16 context vectors
# train (plus a text-tower LoRA if text_encoder.adapter is set). One CLIP weights file holds
# both towers: --cfg-options model.backbone.pretrained=W model.text_encoder.pretrained=W
model = dict(
    type='CoOpClassifier',
    data_preprocessor=dict(type='ClsDataPreprocessor', mean=None, std=None, to_rgb=True),
    backbone=dict(
        type='CLIPViT',
        arch='ViT-B-16-quickgelu',
        pretrained=None,
        out_indices=(3, 6, 9),
        adapter=dict(),
        adapter_checkpoint=None),
    text_encoder=dict(arch='ViT-B-16-quickgelu', pretrained=None, adapter=None),
    classes=('benign', 'malignant'),
    n_ctx=16,
    ctx_init=None,  # or a phrase, e.g. 'an ultrasound image of a' (then n_ctx = its length)
    context_checkpoint=None,  # a prompt_context.safetensors to start from
    logit_scale=None,  # from the weights file, else 100
    loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
)
method_name = 'CoOp'  # label in result tables
