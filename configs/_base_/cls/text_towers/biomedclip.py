# BiomedCLIP's text tower: BiomedBERT (Hugging Face BERT, uncased, abstracts) + MLP
# projection to 512, CLS pooling, 256 tokens — BiomedCLIP's open_clip config, shipped
# with mmseg_ht. Built only from a local folder holding BiomedBERT's config.json and
# vocab.txt (+ tokenizer_config.json), from the Hugging Face model
# microsoft/BiomedNLP-BiomedBERT-base-uncased-abstract: BIOMEDBERT_DIR=DIR, or
# --cfg-options model.text_encoder.text_model_dir=DIR. Text weights: BiomedCLIP's
# open_clip_pytorch_model.bin (text.*), given as model.text_encoder.pretrained.
text_arch = 'BiomedCLIP-PubMedBERT_256-vit_base_patch16_224'
text_model_dir = '{{$BIOMEDBERT_DIR:data/weights/BiomedNLP-BiomedBERT-base-uncased-abstract}}'
