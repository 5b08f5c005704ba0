"""Building open_clip image towers from an architecture name or a config dict.

``arch`` is either an open_clip model name (``'ViT-B-16-quickgelu'`` for OpenAI
CLIP, MetaCLIP and UniMedCLIP; ``'BiomedCLIP-PubMedBERT_256-vit_base_patch16_224'``,
whose config ships with mmseg_ht, for BiomedCLIP) or a dict in open_clip's
model-config format (``embed_dim``, ``vision_cfg``, ``quick_gelu``), which is
how tests describe tiny towers. Only the image tower is built: no text tower,
no download.
"""
import copy
from pathlib import Path
from typing import Dict, Union

import open_clip
import torch.nn as nn
from open_clip.model import _build_vision_tower  # pinned open_clip 3.3.0

ArchSpec = Union[str, Dict]
_CONFIG_DIR = Path(__file__).parent / 'model_configs'
_registered = False


def _register_bundled_configs() -> None:
    """Make the model configs shipped with mmseg_ht known to open_clip (once)."""
    global _registered
    if not _registered:
        open_clip.add_model_config(_CONFIG_DIR)
        _registered = True


def resolve_model_config(arch: ArchSpec) -> Dict:
    """Return open_clip's model config (a dict) for ``arch``."""
    if isinstance(arch, dict):
        if 'vision_cfg' not in arch or 'embed_dim' not in arch:
            raise ValueError('an arch dict needs "embed_dim" and "vision_cfg" (open_clip '
                             f'model-config format); got keys {sorted(arch)}')
        return copy.deepcopy(arch)
    _register_bundled_configs()
    config = open_clip.get_model_config(arch)
    if config is None:
        known = ', '.join(n for n in open_clip.list_models() if 'B-16' in n)
        raise ValueError(f'unknown open_clip architecture {arch!r}. ViT-B/16 names include: '
                         f'{known}. Use "ViT-B-16-quickgelu" for OpenAI CLIP, MetaCLIP and '
                         'UniMedCLIP weights.')
    return config


def build_image_tower(arch: ArchSpec) -> nn.Module:
    """Build the randomly initialised image tower of ``arch``."""
    config = resolve_model_config(arch)
    return _build_vision_tower(
        embed_dim=config['embed_dim'],
        vision_cfg=config['vision_cfg'],
        quick_gelu=config.get('quick_gelu', False),
    )
