"""Every exception class of the package derives from ``MmsegHtError`` (and keeps its builtin
base), and ``cli_main`` turns those errors into one ``<tool>: error: ...`` line and exit code 2.
"""
import importlib
import inspect
import pkgutil
import sys

import pytest

import mmseg_ht
from mmseg_ht.utils import MmsegHtError, cli_main


def package_exception_classes() -> dict:
    """``{qualified name: class}`` of every Exception subclass defined in mmseg_ht."""
    found = {}
    for info in pkgutil.walk_packages(mmseg_ht.__path__, 'mmseg_ht.'):
        module = importlib.import_module(info.name)  # an import failure fails the test
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseException) and cls.__module__.startswith('mmseg_ht'):
                found[f'{cls.__module__}.{cls.__qualname__}'] = cls
    return found


def test_every_package_exception_is_an_mmseg_ht_error():
    classes = package_exception_classes()
    assert len(classes) >= 15, sorted(classes)  # the walk found them: not a vacuous pass
    outside = sorted(name for name, cls in classes.items() if not issubclass(cls, MmsegHtError))
    assert not outside, f'not derived from MmsegHtError: {outside}'


def test_builtin_bases_are_kept():
    from mmseg_ht.contrastive.caption_table import CaptionTableError
    from mmseg_ht.datasets.converters.errors import OutputExistsError
    from mmseg_ht.mmseg_tools import ToolNotFoundError
    assert issubclass(CaptionTableError, ValueError)
    assert issubclass(OutputExistsError, RuntimeError)
    assert issubclass(ToolNotFoundError, FileNotFoundError)
    with pytest.raises(FileNotFoundError):
        raise ToolNotFoundError('no such tool')


def test_cli_main_exit_codes_and_message(monkeypatch, capsys):
    monkeypatch.setattr(sys, 'argv', ['/somewhere/tools/infer.py', 'x'])

    @cli_main
    def fails(path: str) -> int:
        error = MmsegHtError(f'{path}: not a PNG; convert it first')
        error.__notes__ = ['(1 more file)']  # as add_note (Python 3.11) adds them
        raise error

    assert fails('a.jpg') == 2
    assert capsys.readouterr().err == 'infer.py: error: a.jpg: not a PNG; convert it first\n' \
                                      '(1 more file)\n'
    assert cli_main(lambda: None)() == 0
    assert cli_main(lambda: 1)() == 1
    assert cli_main(lambda status: status)(3) == 3

    @cli_main
    def bug() -> int:
        raise ValueError('a bug keeps its traceback')

    with pytest.raises(ValueError, match='traceback'):
        bug()
