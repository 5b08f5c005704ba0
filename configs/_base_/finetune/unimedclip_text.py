# UniMedCLIP text tower: BiomedBERT (Hugging Face) + projection to 512, with an
# OpenAI-style ViT-B/16 image tower. Needs `transformers` and a local copy of
# the BERT config/tokenizer: BIOMEDBERT_DIR. UniMedCLIP's raw state dict keeps
# the text weights under `text_encoder.*`, which the text encoder reads.
# Check hf_proj_type/hf_pooler_type against the config of your UniMedCLIP release.
biomedbert_dir = '{{$BIOMEDBERT_DIR:data/weights/BiomedNLP-BiomedBERT-base-uncased-abstract}}'
text_arch = dict(
    embed_dim=512,
    quick_gelu=True,
    vision_cfg=dict(image_size=224, layers=12, width=768, patch_size=16),
    text_cfg=dict(hf_model_name=biomedbert_dir, hf_tokenizer_name=biomedbert_dir,
                  hf_proj_type='mlp', hf_pooler_type='cls_last_hidden_state_pooler',
                  hf_model_pretrained=False, context_length=256),
)
