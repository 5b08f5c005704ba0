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
import re
from pathlib import Path
from typing import Dict, Union

import torch
import torch.nn as nn
from mmengine.model import is_model_wrapper

from mmseg_ht.models.backbones.pretrained import describe_mismatch
from mmseg_ht.utils import UnsafeWeightsError
from mmseg_ht.utils.safe_load import torch_load_plain

from .checkpoint_loader import CHECKPOINT_REMEDY

PathLike = Union[str, Path]


class CheckpointMismatchError(RuntimeError):
    """A checkpoint does not fit the model built from the config."""


class CheckpointReadError(RuntimeError):
    """A checkpoint file cannot be read (truncated, not a torch file, no state dict)."""


def read_checkpoint_state_dict(path: PathLike, trusted: bool = False) -> Dict[str, torch.Tensor]:
    """The ``state_dict`` of an mmengine checkpoint (tensors memory-mapped, not read).

    Untrusted files are read with ``weights_only=True``; a file that needs
    arbitrary Python objects raises ``UnsafeWeightsError`` (nothing is executed).
    """
    try:
        checkpoint = torch_load_plain(Path(path), CHECKPOINT_REMEDY, trusted=trusted, mmap=True)
    except UnsafeWeightsError:
        raise
    except Exception as err:  # torch raises RuntimeError, EOFError, zip errors ...
        raise CheckpointReadError(
            f'{path}: not a readable checkpoint ({type(err).__name__}: {err}). The file is '
            'truncated (e.g. a run killed while saving) or not a torch file: use an earlier '
            'iter_N.pth of the run.') from err
    state = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict) or not any(isinstance(v, torch.Tensor)
                                              for v in state.values()):
        raise CheckpointReadError(
            f'{path}: not a model checkpoint (no state_dict of tensors inside). Pass a .pth '
            'file written by tools/train.py (work_dirs/<config>/iter_N.pth or best_*.pth).')
    # mmengine's own key revision when loading: strip a DataParallel/DDP prefix.
    return {re.sub(r'^module\.', '', k): v for k, v in state.items()
            if isinstance(v, torch.Tensor)}


def check_checkpoint_fits(model: nn.Module, path: PathLike, trusted: bool = False) -> None:
    """``CheckpointMismatchError`` unless ``path`` fits ``model`` key for key, shape for shape."""
    if is_model_wrapper(model):
        model = model.module
    given = read_checkpoint_state_dict(path, trusted)
    problems = describe_mismatch(model.state_dict(), given)
    if problems:
        raise CheckpointMismatchError(
            f'{path} does not fit the model built from this config: ' + '; '.join(problems)
            + '. The checkpoint was trained with another architecture (backbone arch, '
            'adapter type/size, head channels or number of classes). Test it with the config '
            'it was trained with (its copy is in the work dir next to the checkpoint), or '
            'pass the matching --cfg-options.')
