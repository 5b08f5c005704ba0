"""The explicit opt-in for checkpoints that need a full (code-executing) unpickle.

mmseg_ht's own checkpoints never need it (``WeightsOnlyCheckpointHook``).
Checkpoints written by other mmengine tools contain Python objects; a user
who trusts such a file passes ``--trust-checkpoint`` (tools/test.py,
tools/train.py). Trust is given to that one file, by its real path: every
other file the process loads is still read weights-only
(``mmseg_ht.engine.checkpoint_loader``). No torch default or environment
flag is changed.
"""
import os
from pathlib import Path
from typing import Set

from mmengine.logging import print_log

_TRUSTED: Set[str] = set()


def check_checkpoint_file(path: str) -> None:
    """A clear error for a missing checkpoint, before any model is built."""
    if not Path(path).is_file():
        raise FileNotFoundError(
            f'checkpoint not found: {path}. Pass the .pth file a training run wrote '
            '(e.g. work_dirs/<config>/best_Dice_iter_N.pth).')


def trust_checkpoint(path: str) -> None:
    """Let ``path`` (this file only) be fully unpickled in this process: the user vouched for it."""
    _TRUSTED.add(os.path.realpath(os.path.expanduser(path)))
    print_log(
        f'--trust-checkpoint: {path} will be fully unpickled; only do this for '
        'files you trust (unpickling can run code).',
        logger='current',
        level=30)


def is_trusted(path: str) -> bool:
    """Whether the user passed ``--trust-checkpoint`` for ``path``."""
    return os.path.realpath(os.path.expanduser(path)) in _TRUSTED


def trust_run_checkpoint(cfg) -> None:
    """``tools/train.py --trust-checkpoint``: trust the file ``--resume`` or ``load_from`` names."""
    path = cfg.get('load_from')
    if not path and cfg.get('resume'):
        from mmengine.runner import find_latest_checkpoint
        path = find_latest_checkpoint(cfg.work_dir)
    if not path:
        raise ValueError('--trust-checkpoint: there is no checkpoint to trust; pass '
                         '--resume PATH or --cfg-options load_from=PATH.')
    check_checkpoint_file(path)
    trust_checkpoint(path)
