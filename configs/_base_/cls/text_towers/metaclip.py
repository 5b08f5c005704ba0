# MetaCLIP: the same text tower as OpenAI CLIP, other weights.
text_arch = 'ViT-B-16-quickgelu'
