"""CLIP image towers with adapters (mmseg backbone ``CLIPViT``); ``ExternalBackbone`` for baselines."""
from .adapter_checkpoint import (adapter_state_dict, load_adapter_checkpoint,
                                 save_adapter_checkpoint)
from .clip_vit import CLIPViT
from .external_backbone import ExternalBackbone
from .pretrained import PretrainedMismatchError
from .towers import build_image_tower, resolve_model_config

__all__ = ['CLIPViT', 'ExternalBackbone', 'PretrainedMismatchError', 'adapter_state_dict',
           'build_image_tower', 'load_adapter_checkpoint', 'resolve_model_config',
           'save_adapter_checkpoint']
