"""Adapter weights as data: which parameters are adapters, and the adapter files.

The one predicate ``is_adapter_parameter`` decides everywhere (adapter state
dicts, adapter files, checkpoint splitting, parameter accounting) which
parameters an adapter added to a frozen tower. Files hold only those — a few
MB — as safetensors: ``NAME.safetensors`` the image-tower adapters keyed
relative to ``CLIPViT`` (``adapters.<block>.*``, ``tower.….lora_down/up``),
loaded by every segmentation, classification and zero-shot config through
``model.backbone.adapter_checkpoint``; ``NAME_text.safetensors`` the LoRA
factors of a text tower (LoRA V+T), keyed relative to ``OpenCLIPTextEncoder``
(``tower.transformer.resblocks.<i>.attn.*.lora_*``; BiomedBERT:
``tower.transformer.encoder.layer.<i>.attention.self.{query,key,value}.lora_*``),
loaded with ``text_encoder.load_adapters`` (``ContrastiveCLIP`` takes it as
``text_adapter_checkpoint``). Separate files keep the image file loadable by
image-only models, which would reject unknown keys.
"""
import json
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Union

import torch
import torch.nn as nn

from mmseg_ht.utils.errors import MmsegHtError

OUTPUT_ADAPTERS = 'adapters'  # AdaptedTower.adapters: the output adapters (HT, Mona)
LORA_PREFIX = 'lora_'  # the factors LoRA layers add inside tower blocks (lora_down, lora_up)
IMAGE_FORMAT = 'mmseg_ht-adapters'
TEXT_FORMAT = 'mmseg_ht-text-adapters'
TEXT_SUFFIX = '_text'
TOWER_PREFIXES = {'image': 'backbone', 'text': 'text_encoder'}  # model attribute per tower


class AdapterMismatchError(MmsegHtError, ValueError):
    """Adapter weights (a file, or a checkpoint's part) do not fit a tower's adapters."""


def is_adapter_parameter(name: str) -> bool:
    """True for a parameter (or state-dict key) that an adapter added to a frozen tower.

    ``name`` is dotted and relative to any module above the adapter — a tower
    block, the tower, the backbone or the whole model: output adapters are
    everything under a module named ``adapters`` (``adapters.3.down.weight``,
    ``backbone.adapters.3.down.weight``), LoRA factors any name with a part
    starting with ``lora_`` (``attn.in_proj.lora_down``). The two were once
    written separately with different anchors (start of a backbone-relative
    name vs a block-relative one); they meant the same parameters.
    """
    parts = name.split('.')
    return OUTPUT_ADAPTERS in parts[:-1] or any(p.startswith(LORA_PREFIX) for p in parts)


def strip_to_tower_names(weights: Mapping[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Drop a leading model prefix (``backbone.``, ``text_encoder.`` …) from every key.

    Keys then start at ``adapters.`` or ``tower.``, as in ``AdaptedTower.adapter_state_dict``.
    """
    stripped = {}
    for name, value in weights.items():
        for anchor in (f'{OUTPUT_ADAPTERS}.', 'tower.'):
            position = name.find(anchor)
            if position >= 0 and (position == 0 or name[position - 1] == '.'):
                name = name[position:]
                break
        stripped[name] = value
    return stripped


def split_checkpoint_adapters(
        state_dict: Mapping[str, torch.Tensor]) -> Dict[str, Dict[str, torch.Tensor]]:
    """Adapter tensors of a model state dict, by tower: ``{'image': …, 'text': …}``.

    Image keys lose their ``backbone.`` prefix, text keys their ``text_encoder.``
    prefix; frozen tower weights and every other part of the model are left out.
    """
    towers: Dict[str, Dict[str, torch.Tensor]] = {tower: {} for tower in TOWER_PREFIXES}
    for name, value in state_dict.items():
        prefix, _, relative = name.partition('.')
        for tower, attribute in TOWER_PREFIXES.items():
            if prefix == attribute and is_adapter_parameter(relative):
                towers[tower][relative] = value
    return towers


def text_adapter_path(image_path: Union[str, Path]) -> Path:
    """``out/adapters.safetensors`` → ``out/adapters_text.safetensors``."""
    path = Path(image_path)
    return path.with_name(path.stem + TEXT_SUFFIX + path.suffix)


def export_metadata(backbone_cfg: Mapping, text_cfg: Optional[Mapping], source: str,
                    **extra: object) -> Dict[str, str]:
    """What an adapter file records: archs and adapter configs of both towers, its source."""
    text_cfg = text_cfg or {}
    info = dict(
        arch=backbone_cfg.get('arch', ''),
        adapter=backbone_cfg.get('adapter'),
        text_arch=text_cfg.get('arch') or backbone_cfg.get('arch', ''),
        text_adapter=text_cfg.get('adapter'),
        source=source,
        **extra)
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in info.items()}


def export_adapters(image_tower: nn.Module,
                    path: Union[str, Path],
                    text_tower: Optional[nn.Module] = None,
                    metadata: Optional[Mapping[str, str]] = None) -> List[Path]:
    """Write the image adapters to ``path`` (+ text LoRA to ``*_text``); return the files.

    ``image_tower`` and ``text_tower`` are ``AdaptedTower`` instances (``CLIPViT``,
    ``OpenCLIPTextEncoder``); a text tower without adapters writes no text file.
    """
    info = dict(metadata or {})
    written = [image_tower.save_adapters(path, dict(info, tower='image'))]
    if text_tower is not None and text_tower.adapter_state_dict():
        arch = str(info.get('text_arch', info.get('arch', '')))
        written.append(
            text_tower.save_adapters(
                text_adapter_path(path), dict(info, format=TEXT_FORMAT, tower='text', arch=arch)))
    return written
