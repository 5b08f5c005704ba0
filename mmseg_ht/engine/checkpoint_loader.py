"""mmengine's checkpoint loading, made weights-only on every torch mmseg_ht supports.

mmengine 0.10.7 reads every checkpoint through ``CheckpointLoader``, whose
local-file loader calls ``torch.load`` without ``weights_only``: on torch
< 2.6 that is a full unpickle, so a crafted file runs code on ``--resume``,
``load_from``, ``init_cfg=dict(type='Pretrained', ...)`` or mmpretrain's
``pretrained``. Importing mmseg_ht registers, through mmengine's own
``CheckpointLoader.register_scheme``:

* a local-file loader that reads plain data only (``torch_load_plain``),
  unless the user trusted that very file (``--trust-checkpoint``);
* for the remote schemes (http, model zoos, object stores) a loader that
  refuses: weights are never downloaded at run time (and mmengine would
  unpickle the download in full).

``torch.load`` itself is not patched.
"""
import os.path as osp
from pathlib import Path
from typing import Any, Optional

from mmengine.runner.checkpoint import CheckpointLoader

from mmseg_ht.utils.safe_load import torch_load_plain
from .trust import is_trusted

CHECKPOINT_REMEDY = (
    'Checkpoints written by mmseg_ht runs never need that (WeightsOnlyCheckpointHook). If you '
    'trust this file (you or a colleague wrote it with another mmengine tool), pass '
    '--trust-checkpoint (docs/en/checkpoints.md).')
# mmengine 0.10.7's remote schemes (mmengine/runner/checkpoint.py) and mmpretrain's.
REMOTE_PREFIXES = ('http://', 'https://', 'pavi://', r'(\S+\:)?s3://', r'(\S+\:)?petrel://',
                   'modelzoo://', 'torchvision://', 'open-mmlab://', 'openmmlab://', 'mmcls://')


def load_local_checkpoint(filename: str, map_location: Optional[str] = None) -> Any:
    """Read a local checkpoint as plain data (tensors, containers, numbers), or refuse it."""
    path = Path(osp.expanduser(filename))
    if not path.is_file():
        raise FileNotFoundError(f'{filename} can not be found.')
    return torch_load_plain(
        path, CHECKPOINT_REMEDY, trusted=is_trusted(filename), map_location=map_location)


def refuse_remote_checkpoint(filename: str, map_location: Optional[str] = None, **_) -> Any:
    """Remote checkpoints are never fetched: a clear error naming the address and the remedy."""
    raise RuntimeError(
        f'{filename}: mmseg_ht reads weights from local files only and never downloads them '
        'at run time. Download the file yourself on a machine you trust, then pass its local '
        'path (e.g. --cfg-options load_from=/path/to/file.pth).')


def register_safe_checkpoint_loaders() -> None:
    """Put the loaders above in mmengine's ``CheckpointLoader`` (idempotent)."""
    CheckpointLoader.register_scheme(prefixes='', loader=load_local_checkpoint, force=True)
    CheckpointLoader.register_scheme(
        prefixes=list(REMOTE_PREFIXES), loader=refuse_remote_checkpoint, force=True)


# Like mmengine's own loaders: registered when the module is imported (by mmseg_ht.engine).
register_safe_checkpoint_loaders()
