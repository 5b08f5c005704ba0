"""Loading pretrained CLIP weights into an image tower, strictly and safely.

Accepted files (all read by ``load_state_dict_safely``): open_clip checkpoints
(``visual.*`` keys, optionally under ``state_dict`` or with a ``module.``
prefix), safetensors, OpenAI's TorchScript ``.pt`` archives, raw state dicts
such as UniMedCLIP's (``visual.*`` beside ``text_encoder.*``), and bare image
tower state dicts. Anything that does not match the tower key for key and
shape for shape is an error naming the file and the first offending keys.
"""
from pathlib import Path
from typing import Dict, List, Union

import torch
import torch.nn as nn

from mmseg_ht.utils import load_state_dict_safely

VISUAL_PREFIX = 'visual.'
_MAX_LISTED = 5


class PretrainedMismatchError(ValueError):
    """A weights file does not fit the configured architecture."""


def select_image_tower_weights(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Keep the image-tower part of a full CLIP state dict, prefix removed."""
    if any(k.startswith(VISUAL_PREFIX) for k in state_dict):
        return {k[len(VISUAL_PREFIX):]: v for k, v in state_dict.items()
                if k.startswith(VISUAL_PREFIX)}
    return dict(state_dict)


def _first(keys: List[str]) -> str:
    shown = ', '.join(keys[:_MAX_LISTED])
    more = f' … (+{len(keys) - _MAX_LISTED} more)' if len(keys) > _MAX_LISTED else ''
    return shown + more


def describe_mismatch(expected: Dict[str, torch.Tensor],
                      given: Dict[str, torch.Tensor]) -> List[str]:
    """Human-readable differences between two state dicts (empty when they fit)."""
    missing = sorted(set(expected) - set(given))
    unexpected = sorted(set(given) - set(expected))
    wrong_shape = [f'{k} {tuple(given[k].shape)} vs {tuple(v.shape)}'
                   for k, v in expected.items()
                   if k in given and given[k].shape != v.shape]
    problems = []
    if missing:
        problems.append(f'{len(missing)} missing keys: {_first(missing)}')
    if unexpected:
        problems.append(f'{len(unexpected)} unexpected keys: {_first(unexpected)}')
    if wrong_shape:
        problems.append(f'{len(wrong_shape)} shape mismatches (file vs model): {_first(wrong_shape)}')
    return problems


def load_pretrained_image_tower(tower: nn.Module, path: Union[str, Path], arch_name: str) -> None:
    """Load ``path`` into ``tower`` (strict); errors name the file and keys."""
    weights = select_image_tower_weights(load_state_dict_safely(path))
    expected = tower.state_dict()
    problems = describe_mismatch(expected, weights)
    if problems:
        raise PretrainedMismatchError(
            f'{path}: weights do not match the image tower of arch={arch_name}: '
            + '; '.join(problems) + '. Check model.backbone.arch (e.g. '
            '"ViT-B-16-quickgelu" for OpenAI CLIP/MetaCLIP/UniMedCLIP, '
            '"BiomedCLIP-PubMedBERT_256-vit_base_patch16_224" for BiomedCLIP).')
    tower.load_state_dict(weights, strict=True)
