"""Adapter-only files from a contrastive (or any mmseg_ht) model.

Layout: ``NAME.safetensors`` holds the image-tower adapters, keyed relative
to ``CLIPViT`` (``adapters.<block>.*``, ``*.lora_down``/``*.lora_up``) — the
file ``model.backbone.adapter_checkpoint`` of every segmentation,
classification and zero-shot config loads. When the text tower has LoRA
(LoRA V+T), ``NAME_text.safetensors`` holds its factors, keyed relative to
``OpenCLIPTextEncoder`` (``tower.transformer.resblocks.<i>.attn.*.lora_*``; on the
BiomedBERT tower of BiomedCLIP/UniMedCLIP
``tower.transformer.encoder.layer.<i>.attention.self.{query,key,value}.lora_*``),
loaded with ``load_text_adapter_checkpoint`` (``ContrastiveCLIP`` takes it
as ``text_adapter_checkpoint``). Separate files keep the image file loadable
by image-only models, which would reject unknown keys.
"""
import json
from pathlib import Path
from typing import Dict, List, Optional, Union

import torch
import torch.nn as nn

from mmseg_ht.models.backbones.adapter_checkpoint import (adapter_state_dict,
                                                         is_adapter_parameter,
                                                         load_adapter_checkpoint,
                                                         save_adapter_checkpoint)
from mmseg_ht.utils import save_state_dict_safely

TEXT_SUFFIX = '_text'


def text_adapter_path(image_path: Union[str, Path]) -> Path:
    """``out/adapters.safetensors`` → ``out/adapters_text.safetensors``."""
    path = Path(image_path)
    return path.with_name(path.stem + TEXT_SUFFIX + path.suffix)


def text_adapter_state_dict(text_encoder: nn.Module) -> Dict[str, torch.Tensor]:
    """LoRA parameters of an ``OpenCLIPTextEncoder`` by encoder-relative name."""
    return adapter_state_dict(text_encoder)


def load_text_adapter_checkpoint(text_encoder: nn.Module, path: Union[str, Path]) -> List[str]:
    """Load text-tower LoRA factors (accepts ``text_encoder.``-prefixed keys too)."""
    return load_adapter_checkpoint(text_encoder, path)


def _metadata(extra: Optional[Dict[str, object]]) -> Dict[str, str]:
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in (extra or {}).items()}


def export_adapters(image_encoder: nn.Module, path: Union[str, Path],
                    text_encoder: Optional[nn.Module] = None,
                    metadata: Optional[Dict[str, object]] = None) -> List[Path]:
    """Write the image adapters to ``path`` (+ text LoRA to ``*_text``); return the files."""
    info = _metadata(metadata)
    written = [save_adapter_checkpoint(image_encoder, path, dict(info, tower='image'))]
    text = text_adapter_state_dict(text_encoder) if text_encoder is not None else {}
    if text:
        meta = dict(info, format='mmseg_ht-text-adapters', tower='text',
                    arch=str(info.get('text_arch', info.get('arch', ''))))
        written.append(save_state_dict_safely(text, text_adapter_path(path), metadata=meta))
    return written


def split_checkpoint_adapters(state_dict: Dict[str, torch.Tensor]
                              ) -> Dict[str, Dict[str, torch.Tensor]]:
    """Adapter tensors of a model state dict, by tower: ``{'image': …, 'text': …}``.

    Image keys lose their ``backbone.`` prefix; text keys their
    ``text_encoder.`` prefix. Frozen tower weights are left out.
    """
    towers: Dict[str, Dict[str, torch.Tensor]] = {'image': {}, 'text': {}}
    for name, value in state_dict.items():
        prefix, _, relative = name.partition('.')
        if prefix == 'text_encoder' and is_adapter_parameter(relative):
            towers['text'][relative] = value
        elif prefix == 'backbone' and is_adapter_parameter(relative):
            towers['image'][relative] = value
    return towers
