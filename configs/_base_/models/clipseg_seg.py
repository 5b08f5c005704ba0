# Baseline "CLIPSeg": CLIPSeg's text-conditioned decoder (Lueddecke & Ecker 2022;
# reduce_dim 64, 4 heads, FiLM, "complex" transposed-conv upsampler) on the
# frozen CLIP ViT-B/16 image tower of clip_vit_seg.py (no adapter), blocks
# 3/6/9; loss, input and normalisation as there. The condition is the mean
# normalised CLIP text embedding of the data set's prompts
# (model.decode_head.prompts, set by the leaves), computed once at build.
# Weights: the same local CLIP file for both towers:
#   --cfg-options model.backbone.pretrained=W model.decode_head.text_encoder.pretrained=W
_base_ = ['./clip_vit_seg.py']
method_name = 'CLIPSeg'  # label in result tables
backbone_name = 'CLIP'
model = dict(
    backbone=dict(adapter=None),
    decode_head=dict(
        type='CLIPSegHead',
        channels=32,
        reduce_dim=64,
        num_heads=4,
        dim_feedforward=2048,
        upsample_kernels=(4, 4),  # patch 16 -> x4 -> x4
        text_encoder=dict(arch='ViT-B-16-quickgelu', pretrained=None),
        prompts=['a lesion in an ultrasound image'],  # the leaves set one per data set
    ),
)
