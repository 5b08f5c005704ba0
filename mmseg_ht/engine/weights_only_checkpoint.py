"""Checkpoints that load with ``torch.load(weights_only=True)``.

mmengine stores its log history as ``HistoryBuffer`` objects (and metrics may
be numpy scalars), so a stock checkpoint can only be read by a full unpickle,
which can execute code. ``WeightsOnlyCheckpointHook`` writes these as plain
lists and numbers before saving and rebuilds them after loading, so the
checkpoints of mmseg_ht runs are read (tested, resumed) with torch's safe
loader, which torch >= 2.6 uses by default.
"""
from typing import Any

import numpy as np
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer
from mmseg.registry import HOOKS

_BUFFER_MARK = '__history_buffer__'


def to_plain(value: Any) -> Any:
    """Numpy scalars/arrays → Python numbers/lists, recursively through containers."""
    if isinstance(value, dict):
        return type(value)((k, to_plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return type(value)(to_plain(v) for v in value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def history_buffer_to_dict(buffer: HistoryBuffer) -> dict:
    """The content of a HistoryBuffer as plain data."""
    log_history, count_history = buffer.data
    return {
        _BUFFER_MARK: True,
        'log_history': np.asarray(log_history).tolist(),
        'count_history': np.asarray(count_history).tolist(),
        'max_length': int(buffer.max_length)
    }


def dict_to_history_buffer(data: dict) -> HistoryBuffer:
    """Inverse of ``history_buffer_to_dict``."""
    return HistoryBuffer(data['log_history'], data['count_history'], data['max_length'])


@HOOKS.register_module()
class WeightsOnlyCheckpointHook(Hook):
    """Save checkpoints as plain data; restore mmengine's objects on load."""

    priority = 'VERY_LOW'  # after every hook that adds to the checkpoint

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        hub = checkpoint.get('message_hub')
        if isinstance(hub, dict) and isinstance(hub.get('log_scalars'), dict):
            hub['log_scalars'] = {
                key: history_buffer_to_dict(v) if isinstance(v, HistoryBuffer) else v
                for key, v in hub['log_scalars'].items()
            }
        for key in list(checkpoint):
            if key != 'state_dict':
                checkpoint[key] = to_plain(checkpoint[key])

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        hub = checkpoint.get('message_hub')
        if isinstance(hub, dict) and isinstance(hub.get('log_scalars'), dict):
            hub['log_scalars'] = {
                key: dict_to_history_buffer(v) if isinstance(v, dict) and v.get(_BUFFER_MARK) else v
                for key, v in hub['log_scalars'].items()
            }
