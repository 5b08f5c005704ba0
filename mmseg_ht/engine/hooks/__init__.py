"""Hooks of mmseg_ht, registered in ``mmseg.registry.HOOKS``."""
from .error_overlay_hook import ErrorOverlayHook
from .prediction_mask_hook import PredictionMaskHook

__all__ = ['ErrorOverlayHook', 'PredictionMaskHook']
