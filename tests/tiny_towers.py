"""Tiny open_clip tower configs for fast CPU tests (same code paths as ViT-B/16)."""

# open_clip's own ViT family: 32x32 input, 8x8 patches → 4x4 grid, 4 blocks, width 64.
TINY_OPENCLIP_ARCH = dict(
    embed_dim=32,
    quick_gelu=True,
    vision_cfg=dict(image_size=32, layers=4, width=64, patch_size=8, head_width=32))

# timm family (BiomedCLIP's): timm's 'test_vit' trunk, 160x160 input, 10x10 grid, 6 blocks.
TINY_TIMM_ARCH = dict(
    embed_dim=32,
    vision_cfg=dict(
        timm_model_name='test_vit',
        timm_model_pretrained=False,
        timm_pool='',
        timm_proj='linear',
        image_size=160))

TINY_ARCHS = {'openclip': (TINY_OPENCLIP_ARCH, 32), 'timm': (TINY_TIMM_ARCH, 160)}
