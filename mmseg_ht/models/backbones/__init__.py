"""CLIP image towers with adapters (mmseg backbone ``CLIPViT``)."""
from .adapter_checkpoint import (adapter_state_dict, load_adapter_checkpoint,
                                 save_adapter_checkpoint)
from .clip_vit import CLIPViT
from .pretrained import PretrainedMismatchError
from .towers import build_image_tower, resolve_model_config

__all__ = ['CLIPViT', 'PretrainedMismatchError', 'adapter_state_dict', 'build_image_tower',
           'load_adapter_checkpoint', 'resolve_model_config', 'save_adapter_checkpoint']
