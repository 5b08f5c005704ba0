# OpenAI CLIP ViT-B/16 image tower (weights: OpenAI's ViT-B-16.pt or an
# open_clip checkpoint of 'ViT-B-16-quickgelu'/openai).
backbone_arch = 'ViT-B-16-quickgelu'
backbone_name = 'CLIP'  # label in result tables
