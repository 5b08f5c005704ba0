"""Models: CLIPViT backbone, adapters and task heads."""
from . import adapters, backbones, heads  # noqa: F401
