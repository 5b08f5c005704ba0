"""Hooks of mmseg_ht, registered in ``mmseg.registry.HOOKS``."""
from .error_overlay_hook import ErrorOverlayHook

__all__ = ['ErrorOverlayHook']
