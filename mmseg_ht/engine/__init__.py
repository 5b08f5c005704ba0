"""Hooks and config handling for training and testing."""
from .checkpoint_fit import CheckpointMismatchError, CheckpointReadError, check_checkpoint_fits
from .config_setup import (close_cpu_process_group, enable_amp, end_schedulers_with_training,
                           load_config, setup_launcher)
from .ddp import FrozenAwareDDP
from .exact_resume import RNGStateHook
from .hooks import ErrorOverlayHook, PredictionMaskHook
from .weights_only_checkpoint import WeightsOnlyCheckpointHook

__all__ = [
    'CheckpointMismatchError', 'close_cpu_process_group', 'CheckpointReadError', 'ErrorOverlayHook',
    'PredictionMaskHook', 'RNGStateHook', 'WeightsOnlyCheckpointHook', 'check_checkpoint_fits',
    'enable_amp', 'end_schedulers_with_training', 'FrozenAwareDDP', 'load_config', 'setup_launcher'
]
