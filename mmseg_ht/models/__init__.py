"""Models: CLIPViT backbone, adapters and task heads."""
from . import adapters, backbones, heads, losses  # noqa: F401
from .text_encoder import OpenCLIPTextEncoder

__all__ = ['OpenCLIPTextEncoder']
