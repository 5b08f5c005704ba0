"""CLIP image towers with adapters (mmseg backbone ``CLIPViT``); ``ExternalBackbone``: baselines."""
from .clip_vit import CLIPViT
from .external_backbone import ExternalBackbone
from .pretrained import PretrainedMismatchError
from .towers import build_image_tower, resolve_model_config

__all__ = [
    'CLIPViT', 'ExternalBackbone', 'PretrainedMismatchError', 'build_image_tower',
    'resolve_model_config'
]
