"""Parameter-efficient adapters for frozen CLIP towers: the one home of everything adapter.

Adapter types (registry ``ADAPTERS``): ``HTAdapter`` (and its ablations),
``MonaAdapter``, ``LoRAAdapter``. ``AdaptedTower`` (base of ``CLIPViT`` and
``OpenCLIPTextEncoder``) attaches and freezes them and saves/loads their
weights; ``checkpoint``: the adapter predicate and adapter files;
``parameter_report``: parameter accounting.
"""
from .adapted_tower import AdaptedTower
from .base import BaseAdapter
from .checkpoint import (AdapterMismatchError, export_adapters, export_metadata,
                         is_adapter_parameter, split_checkpoint_adapters, text_adapter_path)
from .ht import HTAdapter, MonaAdapter
from .lora import LoRAAdapter, LoRAModule
from .parameter_report import log_parameter_report, parameter_rows

__all__ = [
    'AdaptedTower', 'AdapterMismatchError', 'BaseAdapter', 'HTAdapter', 'LoRAAdapter', 'LoRAModule',
    'MonaAdapter', 'export_adapters', 'export_metadata', 'is_adapter_parameter',
    'log_parameter_report', 'parameter_rows', 'split_checkpoint_adapters', 'text_adapter_path'
]
