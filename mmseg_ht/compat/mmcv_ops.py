"""A stand-in ``mmcv.ops`` for mmcv-lite installs, which lack compiled ops.

mmseg 1.2.2 imports ``mmcv.ops`` unconditionally (``point_sample``,
``sigmoid_focal_loss`` ...). mmcv-lite ships the Python files of ``mmcv.ops``
but not the ``mmcv._ext`` extension they load, so every mmseg import fails.
The stand-in exposes mmcv's pure-PyTorch ``point_sample`` and turns every
other compiled op into a ``ModuleNotFoundError`` raised when it is *used*
(mmseg's optional imports catch exactly that error). With a full mmcv the
stand-in is never installed.
"""
import importlib.util
import sys
import types
from typing import Any


def _compiled_ops_available() -> bool:
    """True when mmcv was built with its C++/CUDA extension."""
    try:
        return importlib.util.find_spec('mmcv._ext') is not None
    except (ImportError, ValueError):
        return False


def _load_pure_torch_point_sample() -> types.ModuleType:
    """Load ``mmcv/ops/point_sample.py`` without running ``mmcv/ops/__init__``."""
    mmcv_spec = importlib.util.find_spec('mmcv')
    assert mmcv_spec is not None and mmcv_spec.submodule_search_locations
    path = f'{list(mmcv_spec.submodule_search_locations)[0]}/ops/point_sample.py'
    spec = importlib.util.spec_from_file_location('mmcv.ops.point_sample', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


class _MissingCompiledOp:
    """Placeholder for a compiled mmcv op: importable, fails loudly when used."""

    def __init__(self, name: str) -> None:
        self.name = name

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        raise ModuleNotFoundError(
            f'mmcv.ops.{self.name} needs the compiled mmcv extension, but only '
            'mmcv-lite is installed. Install full mmcv (see docs/en/install.md) '
            'to use this operator.')

    __call__ = _fail

    def __getattr__(self, item: str) -> Any:
        if item.startswith('__'):
            raise AttributeError(item)
        self._fail()


def install_mmcv_ops_stand_in() -> bool:
    """Register the stand-in as ``mmcv.ops`` when compiled ops are missing.

    Returns True when the stand-in was installed (now or earlier).
    """
    existing = sys.modules.get('mmcv.ops')
    if getattr(existing, '__mmseg_ht_stand_in__', False):
        return True
    if _compiled_ops_available() or existing is not None:
        return False
    import mmcv

    point_sample_module = _load_pure_torch_point_sample()
    ops = types.ModuleType('mmcv.ops')
    ops.__mmseg_ht_stand_in__ = True
    ops.__path__ = []  # a package, so ``mmcv.ops.<sub>`` lookups stay inside
    ops.point_sample = point_sample_module.point_sample
    ops.bilinear_grid_sample = point_sample_module.bilinear_grid_sample

    def __getattr__(name: str) -> Any:
        if name.startswith('__'):
            raise AttributeError(name)
        return _MissingCompiledOp(name)

    ops.__getattr__ = __getattr__
    sys.modules['mmcv.ops'] = ops
    sys.modules['mmcv.ops.point_sample'] = point_sample_module
    mmcv.ops = ops
    return True
