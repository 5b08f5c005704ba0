"""Loading of weight files that never executes code hidden in a pickle.

Pretrained towers and adapter checkpoints are untrusted input: they are read
as safetensors, as plain tensor state dicts with ``torch.load(weights_only=True)``,
or (OpenAI's released ``.pt`` files) as TorchScript archives, whose loader
unpickles only TorchScript's own types.
"""
import pickle
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Dict, Type, Union

import torch

from .errors import MmsegHtError

PathLike = Union[str, Path]


class UnsafeWeightsError(MmsegHtError, RuntimeError):
    """A weights file needs arbitrary Python objects (code) to be unpickled."""


class WeightsFormatError(MmsegHtError, ValueError):
    """A weights file could be read but holds no state dict of tensors."""


def _is_torchscript_archive(path: Path) -> bool:
    """TorchScript archives are zip files with a ``<name>/code/`` folder."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any('/code/' in name for name in archive.namelist())


def _unwrap_state_dict(obj: object, path: Path, what: str, error: Type[Exception],
                       hint: str) -> Dict[str, torch.Tensor]:
    """The tensor state dict inside common checkpoint wrappers, ``module.`` prefixes removed.

    The prefix of DataParallel/DDP models is stripped key by key, as mmengine's
    ``load_checkpoint`` does. ``error(message)`` is raised when no tensors are inside.
    """
    for key in ('state_dict', 'model', 'module'):
        if isinstance(obj, Mapping) and isinstance(obj.get(key), Mapping):
            obj = obj[key]
            break
    tensors = ({
        k: v
        for k, v in obj.items() if isinstance(v, torch.Tensor)
    } if isinstance(obj, Mapping) else {})
    if not tensors:
        found = 'a mapping without tensors' if isinstance(obj, Mapping) else type(obj).__name__
        raise error(f'{path}: not a {what} (no state dict of tensors inside; found {found}).' +
                    hint)
    return {re.sub(r'^module\.', '', k): v for k, v in tensors.items()}


def is_refusal(error: Exception) -> bool:
    """Whether ``torch.load(weights_only=True)`` failed because the pickle needs other objects."""
    text = str(error)
    return isinstance(error, pickle.UnpicklingError) and ('weights_only' in text
                                                          or 'Weights only load failed' in text
                                                          or 'Unsupported global' in text)


def torch_load_plain(path: Path,
                     remedy: str,
                     trusted: bool = False,
                     mmap: bool = False,
                     map_location: Any = 'cpu') -> Any:
    """``torch.load`` of plain data only (unless ``trusted``), on every supported torch.

    The weights-only unpickler admits tensors, containers and numbers and
    raises ``UnsafeWeightsError`` (``remedy`` says what to do) for anything
    else. TorchScript archives are refused too: torch < 2.6 hands them to
    ``torch.jit.load`` even with ``weights_only=True`` (CVE-2025-32434).
    ``mmap`` maps tensor data instead of reading it (zip files only).
    """
    if not trusted and _is_torchscript_archive(path):
        raise UnsafeWeightsError(
            f'{path}: refused to load — a TorchScript archive, not a checkpoint of tensors; '
            f'loading one can run its code. {remedy}')
    try:
        if mmap and zipfile.is_zipfile(path):  # legacy (non-zip) torch files cannot be mapped
            return torch.load(
                str(path), map_location=map_location, weights_only=not trusted, mmap=True)
        return torch.load(str(path), map_location=map_location, weights_only=not trusted)
    except pickle.UnpicklingError as err:
        if not is_refusal(err):
            raise
        raise UnsafeWeightsError(
            f'{path}: refused to load — the file contains Python objects other than tensors '
            f'and plain data, and unpickling them could run arbitrary code. {remedy}') from err


def read_torch_state_dict(path: PathLike,
                          remedy: str,
                          trusted: bool = False,
                          mmap: bool = False,
                          what: str = 'weights file',
                          error: Type[Exception] = WeightsFormatError,
                          hint: str = '') -> Dict[str, torch.Tensor]:
    """The tensor state dict of a torch file, read by ``torch_load_plain``.

    ``UnsafeWeightsError`` (with ``remedy``) when the pickle needs other objects;
    ``error`` naming the file as a ``what`` (plus ``hint``) when it cannot be read or
    holds no tensors. The one reader of pretrained weights, adapter files and the
    checkpoints tools/test.py checks.
    """
    path = Path(path)
    try:
        obj = torch_load_plain(path, remedy, trusted=trusted, mmap=mmap)
    except UnsafeWeightsError:
        raise
    except Exception as err:  # torch raises UnpicklingError, RuntimeError, EOFError, zip errors
        raise error(f'{path}: not a readable {what} ({type(err).__name__}: {err}).' + hint) from err
    return _unwrap_state_dict(obj, path, what, error, hint)


def load_state_dict_safely(path: PathLike) -> Dict[str, torch.Tensor]:
    """Read a tensor state dict from safetensors, torch or TorchScript files.

    Raises FileNotFoundError for a missing file, UnsafeWeightsError when a
    pickle would need arbitrary globals (possibly code) to load, and
    WeightsFormatError when no state dict is inside.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f'weights file not found: {path}. Give the path of a local file '
                                '(weights are never downloaded at run time).')
    if path.suffix == '.safetensors':
        from safetensors.torch import load_file
        return _unwrap_state_dict(
            load_file(str(path), device='cpu'), path, 'weights file', WeightsFormatError, '')
    if _is_torchscript_archive(path):
        return _unwrap_state_dict(
            torch.jit.load(str(path), map_location='cpu').state_dict(), path, 'weights file',
            WeightsFormatError, '')
    return read_torch_state_dict(
        path, 'Convert it to a plain state dict or safetensors on a '
        'machine you trust (see docs/en/troubleshooting.md).')


def save_state_dict_safely(state_dict: Mapping,
                           path: PathLike,
                           metadata: Union[Dict[str, str], None] = None) -> Path:
    """Write a tensor state dict as safetensors (contiguous CPU copies)."""
    from safetensors.torch import save_file
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().cpu().contiguous() for k, v in state_dict.items()}
    save_file(tensors, str(path), metadata=metadata)
    return path
