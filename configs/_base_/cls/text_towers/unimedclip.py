# UniMedCLIP pairs the OpenAI-style ViT-B/16 image tower with a BiomedBERT text
# tower (its weights file stores it as text_encoder.*). Needs `transformers` and
# a local BiomedBERT folder: set hf_model_name/hf_tokenizer_name to it. Check the
# projection/pooler against your UniMedCLIP release: a mismatch is reported key
# by key when the weights load.
text_arch = dict(
    embed_dim=512,
    quick_gelu=True,
    vision_cfg=dict(image_size=224, layers=12, width=768, patch_size=16),
    text_cfg=dict(
        hf_model_name='BiomedNLP-BiomedBERT-base-uncased-abstract',
        hf_tokenizer_name='BiomedNLP-BiomedBERT-base-uncased-abstract',
        hf_proj_type='mlp',
        hf_pooler_type='cls_last_hidden_state_pooler',
        context_length=256,
    ),
)
