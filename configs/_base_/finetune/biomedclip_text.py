# BiomedCLIP text tower: PubMedBERT (Hugging Face) + MLP projection, as in
# BiomedCLIP's open_clip config. Needs `transformers` and a local copy of the
# BERT config/tokenizer (no hub access at run time): BIOMEDBERT_DIR. The text
# weights come from the BiomedCLIP weights file (model.backbone.pretrained).
biomedbert_dir = '{{$BIOMEDBERT_DIR:data/weights/BiomedNLP-BiomedBERT-base-uncased-abstract}}'
text_arch = dict(
    embed_dim=512,
    vision_cfg=dict(timm_model_name='vit_base_patch16_224', timm_model_pretrained=False,
                    timm_pool='', timm_proj='linear', image_size=224),
    text_cfg=dict(hf_model_name=biomedbert_dir, hf_tokenizer_name=biomedbert_dir,
                  hf_proj_type='mlp', hf_pooler_type='cls_last_hidden_state_pooler',
                  hf_model_pretrained=False, context_length=256),
)
