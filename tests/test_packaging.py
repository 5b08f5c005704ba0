"""setup.py and requirements/ declare every third-party package that mmseg_ht and tools/ import.

A user's `pip install -e .` must bring what the code imports, and the fresh-setup path
(requirements/*.txt) must pin the same packages. The imports are read from the source (AST),
mapped to distributions with importlib.metadata, and compared with both declarations.
"""
import ast
import re
import sys
from importlib import metadata
from pathlib import Path
from typing import Dict, Set

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
# mmcv is imported but deliberately undeclared: mmseg brings (full) mmcv, and declaring it would
# let pip replace a user's compiled mmcv; the fresh setup installs mmcv-lite
# (requirements/mmcv_lite.txt).
UNDECLARED_ON_PURPOSE = {'mmcv'}
REQUIREMENT_FILES = ('torch.txt', 'runtime.txt', 'medical.txt', 'mmcv_lite.txt')


def _canonical(name: str) -> str:
    return re.sub(r'[-_.]+', '-', name).lower()


def _requirement_name(line: str) -> str:
    return _canonical(re.split(r'[<>=!~\[;\s]', line.strip(), maxsplit=1)[0])


def imported_top_level_modules() -> Set[str]:
    """Top-level names of every absolute import in mmseg_ht/ and tools/."""
    modules = set()
    for path in [
            *REPO_ROOT.joinpath('mmseg_ht').rglob('*.py'),
            *REPO_ROOT.joinpath('tools').rglob('*.py')
    ]:
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split('.')[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split('.')[0])
        modules.update(name for name in found if not _is_local_module(path, name))
    return {m for m in modules if m not in sys.stdlib_module_names and m != 'mmseg_ht'}


def _is_local_module(importer: Path, name: str) -> bool:
    """A script's sibling module or package (tools/misc/config_table), not a distribution."""
    return importer.parent.joinpath(name).is_dir() or importer.parent.joinpath(
        f'{name}.py').is_file()


def imported_distributions() -> Dict[str, str]:
    """Canonical distribution name -> the module that imports it."""
    owners = metadata.packages_distributions()
    found = {}
    for module in sorted(imported_top_level_modules() - UNDECLARED_ON_PURPOSE):
        dists = owners.get(module)
        if not dists:
            pytest.fail(f'{module!r} is imported by mmseg_ht/tools but no installed '
                        'distribution provides it: is it in requirements/?')
        found[_canonical(dists[0])] = module
    return found


def setup_py_requirements() -> Set[str]:
    tree = ast.parse(REPO_ROOT.joinpath('setup.py').read_text(encoding='utf-8'))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], 'id', '') == \
                'INSTALL_REQUIRES':
            names.update(_requirement_name(elt.value) for elt in node.value.elts)
        if isinstance(node, ast.keyword) and node.arg == 'extras_require':
            for values in node.value.values:
                names.update(_requirement_name(elt.value) for elt in values.elts)
    return names


def requirement_file_names() -> Set[str]:
    names = set()
    for file_name in REQUIREMENT_FILES:
        for line in REPO_ROOT.joinpath('requirements', file_name).read_text().splitlines():
            if line.strip() and not line.lstrip().startswith('#'):
                names.add(_requirement_name(line))
    return names


def test_the_import_scan_sees_known_imports():
    modules = imported_top_level_modules()
    assert {'torch', 'mmseg', 'open_clip', 'cv2', 'PIL', 'yaml'} <= modules
    assert 'os' not in modules and 'mmseg_ht' not in modules
    assert 'config_table' not in modules  # tools/misc's own package, imported beside it


def test_setup_py_declares_every_imported_package():
    missing = {
        dist: module
        for dist, module in imported_distributions().items() if dist not in setup_py_requirements()
    }
    assert not missing, f'imported but not in setup.py (install_requires/extras): {missing}'


def test_requirement_files_pin_every_imported_package():
    missing = {
        dist: module
        for dist, module in imported_distributions().items()
        if dist not in requirement_file_names()
    }
    assert not missing, f'imported but not in requirements/{REQUIREMENT_FILES}: {missing}'


def test_setup_py_and_requirement_files_agree():
    only_in_setup = setup_py_requirements() - requirement_file_names()
    assert not only_in_setup, f'in setup.py but not pinned in requirements/: {only_in_setup}'
