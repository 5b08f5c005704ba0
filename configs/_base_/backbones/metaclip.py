# MetaCLIP ViT-B/16 (QuickGELU): the same tower as OpenAI CLIP, other weights
# (open_clip 'ViT-B-16-quickgelu' / metaclip_400m or metaclip_fullcc).
backbone_arch = 'ViT-B-16-quickgelu'
backbone_name = 'MetaCLIP'  # label in result tables
