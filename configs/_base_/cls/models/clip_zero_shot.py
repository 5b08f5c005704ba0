# Zero-shot classifier: CLIP image tower (pooled, projected embedding) against
# prompt ensembles encoded once by the CLIP text tower. Nothing trains.
# One CLIP weights file holds both towers: give it to both, e.g.
#   --cfg-options model.backbone.pretrained=W model.text_encoder.pretrained=W
model = dict(
    type='PromptEnsembleClassifier',
    data_preprocessor=dict(type='ClsDataPreprocessor', mean=None, std=None, to_rgb=True),
    backbone=dict(
        type='CLIPViT',
        arch='ViT-B-16-quickgelu',
        pretrained=None,
        out_indices=(3, 6, 9),
        adapter=dict(),
        adapter_checkpoint=None),
    text_encoder=dict(arch='ViT-B-16-quickgelu', pretrained=None),
    prompts='breast',  # mmseg_ht/prompts/<name>.json, or the path of your own file
    classes=('benign', 'malignant'),
    rule='mean_similarity',  # the paper; or 'mean_embedding' (tools/zero_shot.py --rule)
    logit_scale=None,  # softmax temperature: from the weights file, else 100
)
test_cfg = dict(type='TestLoop')
