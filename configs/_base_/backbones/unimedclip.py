# UniMedCLIP ViT-B/16: OpenAI-style tower; weights are a raw state dict whose
# 'visual.*' keys load directly ('text_encoder.*' keys are ignored here).
backbone_arch = 'ViT-B-16-quickgelu'
backbone_name = 'UniMedCLIP'  # label in result tables
