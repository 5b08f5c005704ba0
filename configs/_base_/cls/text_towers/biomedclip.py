# BiomedCLIP's text tower is Hugging Face BiomedBERT: needs `transformers` and a
# local copy of BiomedNLP-BiomedBERT-base-uncased-abstract; override
# text_cfg.hf_model_name / hf_tokenizer_name with its folder (no downloads).
text_arch = 'BiomedCLIP-PubMedBERT_256-vit_base_patch16_224'
