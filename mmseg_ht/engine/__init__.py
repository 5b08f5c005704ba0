"""Hooks and config handling for training and testing."""
from .config_setup import enable_amp, end_schedulers_with_training, load_config
from .hooks import ErrorOverlayHook
from .weights_only_checkpoint import WeightsOnlyCheckpointHook

__all__ = ['ErrorOverlayHook', 'WeightsOnlyCheckpointHook', 'enable_amp',
           'end_schedulers_with_training', 'load_config']
