# OpenAI CLIP text tower (BPE vocabulary ships with open_clip: works offline).
text_arch = 'ViT-B-16-quickgelu'
