"""Loading pretrained CLIP weights into an image tower, strictly and safely.

Accepted files (all read by ``load_state_dict_safely``): open_clip checkpoints
(``visual.*`` keys, optionally under ``state_dict`` or with a ``module.``
prefix), safetensors, OpenAI's TorchScript ``.pt`` archives, raw state dicts
such as UniMedCLIP's (``visual.*`` beside ``text_encoder.*``), and bare image
tower state dicts. Anything that does not match the tower key for key and
shape for shape is an error naming the file and the first offending keys.
"""
from pathlib import Path
from typing import Dict, Union

import torch
import torch.nn as nn

from mmseg_ht.utils import check_fits, load_state_dict_safely
from mmseg_ht.utils.errors import MmsegHtError

VISUAL_PREFIX = 'visual.'


class PretrainedMismatchError(MmsegHtError, ValueError):
    """A weights file does not fit the configured architecture."""


def select_image_tower_weights(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Keep the image-tower part of a full CLIP state dict, prefix removed."""
    if any(k.startswith(VISUAL_PREFIX) for k in state_dict):
        return {
            k[len(VISUAL_PREFIX):]: v
            for k, v in state_dict.items() if k.startswith(VISUAL_PREFIX)
        }
    return dict(state_dict)


def load_pretrained_image_tower(tower: nn.Module, path: Union[str, Path], arch_name: str) -> None:
    """Load ``path`` into ``tower`` (strict); errors name the file and keys."""
    weights = select_image_tower_weights(load_state_dict_safely(path))
    check_fits(
        tower.state_dict(), weights, PretrainedMismatchError,
        f'{path}: weights do not match the image tower of arch={arch_name}',
        'Check model.backbone.arch (e.g. "ViT-B-16-quickgelu" for OpenAI CLIP/MetaCLIP/'
        'UniMedCLIP, "BiomedCLIP-PubMedBERT_256-vit_base_patch16_224" for BiomedCLIP).')
    tower.load_state_dict(weights, strict=True)
