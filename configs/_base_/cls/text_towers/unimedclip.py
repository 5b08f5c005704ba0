# UniMedCLIP's text tower, as its released code builds it (mbzuai-oryx/UniMed-CLIP,
# src/open_clip/model.py): open_clip's HFTextEncoder on BiomedBERT-base-uncased-abstract,
# proj_type 'mlp' (768 -> 640 -> 512, no bias), 'cls_last_hidden_state_pooler' (no BERT
# pooler), 256 tokens — the bundled config 'UniMedCLIP-ViT-B-16-quickgelu'. Built only from
# a local BiomedBERT folder (config.json + vocab.txt): BIOMEDBERT_DIR=DIR or
# model.text_encoder.text_model_dir=DIR. Text weights: UniMedCLIP's checkpoint
# (unimed_clip_vit_b16.pt, text_encoder.* keys), given as model.text_encoder.pretrained.
text_arch = 'UniMedCLIP-ViT-B-16-quickgelu'
text_model_dir = '{{$BIOMEDBERT_DIR:data/weights/BiomedNLP-BiomedBERT-base-uncased-abstract}}'
