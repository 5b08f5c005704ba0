"""Adapter-only checkpoints: the few MB that adaptation changed, as safetensors.

Adapter parameters are those the adapters added to the backbone: the output
adapters (``adapters.<block>.*``) and LoRA factors (``*.lora_down``,
``*.lora_up``). The frozen tower is never part of the file, so one file from
the contrastive stage can initialise any segmentation, classification or
zero-shot config built with the same arch and adapter settings.
"""
from pathlib import Path
from typing import Dict, List, Optional, Union

import torch
import torch.nn as nn

from mmseg_ht.utils import load_state_dict_safely, save_state_dict_safely
from .pretrained import describe_mismatch


def is_adapter_parameter(name: str) -> bool:
    """True for parameters an adapter added (not part of the pretrained tower)."""
    return name.startswith('adapters.') or '.lora_' in name


def adapter_state_dict(backbone: nn.Module) -> Dict[str, torch.Tensor]:
    """The adapter parameters of a CLIPViT (or text encoder), by module-relative name."""
    return {name: param for name, param in backbone.named_parameters()
            if is_adapter_parameter(name)}


def save_adapter_checkpoint(backbone: nn.Module, path: Union[str, Path],
                            metadata: Optional[Dict[str, str]] = None) -> Path:
    """Write the adapter parameters of ``backbone`` to a safetensors file."""
    weights = adapter_state_dict(backbone)
    if not weights:
        raise ValueError('the backbone has no adapter parameters to export')
    info = {'format': 'mmseg_ht-adapters', 'arch': str(getattr(backbone, 'arch_name', ''))}
    info.update(metadata or {})
    return save_state_dict_safely(weights, path, metadata={k: str(v) for k, v in info.items()})


def strip_to_backbone_names(weights: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Drop a leading model prefix (``backbone.``, ``image_encoder.`` …) from every key."""
    stripped = {}
    for name, value in weights.items():
        for anchor in ('adapters.', 'tower.'):
            position = name.find(anchor)
            if position >= 0 and (position == 0 or name[position - 1] == '.'):
                name = name[position:]
                break
        stripped[name] = value
    return stripped


def load_adapter_checkpoint(backbone: nn.Module, path: Union[str, Path]) -> List[str]:
    """Load adapter weights into ``backbone`` (a CLIPViT or a text encoder).

    An error names the file and the offending keys.
    """
    weights = strip_to_backbone_names(load_state_dict_safely(path))
    weights = {k: v for k, v in weights.items() if is_adapter_parameter(k)}
    expected = adapter_state_dict(backbone)
    problems = describe_mismatch(expected, weights)
    if problems:
        raise ValueError(
            f'{path}: adapter weights do not fit this {type(backbone).__name__}: ' + '; '.join(problems)
            + '. The file must come from a model with the same arch and adapter '
            'config (type, bottleneck/rank, blocks).')
    with torch.no_grad():
        for name, param in expected.items():
            param.copy_(weights[name])
    return sorted(weights)


__all__ = ['adapter_state_dict', 'save_adapter_checkpoint', 'load_adapter_checkpoint',
           'is_adapter_parameter']
