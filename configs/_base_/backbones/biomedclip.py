# BiomedCLIP: timm vit_base_patch16_224 trunk inside open_clip's TimmModel;
# its open_clip config ships with mmseg_ht (no hub access needed).
backbone_arch = 'BiomedCLIP-PubMedBERT_256-vit_base_patch16_224'
backbone_name = 'BiomedCLIP'  # label in result tables
