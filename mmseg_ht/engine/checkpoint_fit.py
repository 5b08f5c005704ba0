"""Checks of a checkpoint given to tools/test.py: safe to read, and made for this model.

mmengine's ``Runner.load_checkpoint`` loads non-strictly: a checkpoint of
another architecture (another adapter, head width or backbone) only logs a
warning about missing/unexpected keys, and the test then reports metrics of
a partly random model. ``check_checkpoint_fits`` makes that an error naming
the file, the first offending keys and the remedy, before anything is
evaluated. It reads the checkpoint memory-mapped (no tensor data is read),
with torch's weights-only unpickler unless the user passed
``--trust-checkpoint``; a code-carrying pickle is refused with a message
naming that option.
"""
from pathlib import Path
from typing import Dict, Union

import torch
import torch.nn as nn
from mmengine.model import is_model_wrapper

from mmseg_ht.utils import check_fits
from mmseg_ht.utils.errors import MmsegHtError
from mmseg_ht.utils.safe_load import read_torch_state_dict
from .checkpoint_loader import CHECKPOINT_REMEDY

PathLike = Union[str, Path]


class CheckpointMismatchError(MmsegHtError, RuntimeError):
    """A checkpoint does not fit the model built from the config."""


class CheckpointReadError(MmsegHtError, RuntimeError):
    """A checkpoint file cannot be read (truncated, not a torch file, no state dict)."""


def read_checkpoint_state_dict(path: PathLike, trusted: bool = False) -> Dict[str, torch.Tensor]:
    """The ``state_dict`` of an mmengine checkpoint (tensors memory-mapped, not read).

    Untrusted files are read with ``weights_only=True``; a file that needs
    arbitrary Python objects raises ``UnsafeWeightsError`` (nothing is executed).
    """
    return read_torch_state_dict(
        path,
        CHECKPOINT_REMEDY,
        trusted=trusted,
        mmap=True,
        what='model checkpoint',
        error=CheckpointReadError,
        hint=' The file is truncated (e.g. a run killed while saving) or not a checkpoint of '
        'tools/train.py: pass work_dirs/<config>/iter_N.pth or best_*.pth, or an earlier '
        'iter_N.pth of the run.')


def check_checkpoint_fits(model: nn.Module, path: PathLike, trusted: bool = False) -> None:
    """``CheckpointMismatchError`` unless ``path`` fits ``model`` key for key, shape for shape."""
    if is_model_wrapper(model):
        model = model.module
    check_fits(
        model.state_dict(), read_checkpoint_state_dict(path, trusted), CheckpointMismatchError,
        f'{path} does not fit the model built from this config',
        'The checkpoint was trained with another architecture (backbone arch, adapter '
        'type/size, head channels or number of classes). Test it with the config it was '
        'trained with (its copy is in the work dir next to the checkpoint), or pass the '
        'matching --cfg-options.')
