"""Parameter-efficient adapters attached to CLIP ViT blocks (registry ``ADAPTERS``)."""
from .base import BaseAdapter
from .ht import HTAdapter, MonaAdapter
from .lora import LoRAAdapter, LoRAModule

__all__ = ['BaseAdapter', 'HTAdapter', 'MonaAdapter', 'LoRAAdapter', 'LoRAModule']
