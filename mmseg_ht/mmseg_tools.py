"""Find and run mmseg's own tools (get_flops, browse_dataset, confusion_matrix, benchmark, test…).

mmseg's pip package ships its ``tools/`` folder inside the package, at
``<mmseg>/.mim/tools`` (a source checkout has it at the repository root)::

    python -m mmseg_ht.mmseg_tools                 # print that folder
    python -m mmseg_ht.mmseg_tools --list          # the tools in it
    python -m mmseg_ht.mmseg_tools get_flops configs/ht/clip-ht_busi.py --shape 224
    python -m mmseg_ht.mmseg_tools test CONFIG CHECKPOINT --out preds/

A tool is named by its file name without ``.py`` (``get_flops``) or by its path below
``tools/`` (``analysis_tools/get_flops``); everything after the name is the tool's own
command line. The tool file runs unmodified, as ``__main__``, after ``import mmseg_ht``:
mmseg's tools import ``mmseg.models`` before they read a config, so with mmcv-lite (no
compiled ``mmcv.ops``; this project's fresh setup) a config's ``custom_imports`` comes too
late to install mmseg_ht's stand-in ``mmcv.ops``. With full mmcv the tools also run
directly: ``python "$(python -m mmseg_ht.mmseg_tools)/analysis_tools/get_flops.py" ...``.
``get_flops`` runs under ``compat.get_flops_api.inputs_take_precedence`` (mmseg 1.2.2's
copy of that tool fails on every model with mmengine >= 0.7.3).
"""
import argparse
import contextlib
import runpy
import sys
from pathlib import Path
from typing import List, Optional

from .compat.get_flops_api import inputs_take_precedence
from .utils.errors import MmsegHtError

SUBFOLDERS = ('analysis_tools', 'misc', 'dataset_converters', 'deployment', 'model_converters',
              'torchserve')


class ToolNotFoundError(MmsegHtError, FileNotFoundError):
    """No mmseg tools folder, or no tool of the requested name in it."""


def tools_dir() -> Path:
    """mmseg's ``tools`` folder: ``<mmseg>/.mim/tools`` (pip) or ``<checkout>/tools`` (source)."""
    import mmseg
    package = Path(mmseg.__file__).resolve().parent
    candidates = (package / '.mim' / 'tools', package.parent / 'tools')
    for folder in candidates:
        if (folder / 'analysis_tools').is_dir():
            return folder
    raise ToolNotFoundError(
        f'mmseg {mmseg.__version__} at {package} has no tools folder (looked for '
        f'{" and ".join(str(c) for c in candidates)}); reinstall mmsegmentation from PyPI '
        '(its wheel ships them) or clone its repository, which has them under tools/.')


def available_tools(folder: Optional[Path] = None) -> List[str]:
    """Names accepted by ``find_tool``: ``<tool>`` or ``<subfolder>/<tool>``, sorted."""
    folder = folder or tools_dir()
    return sorted(
        str(path.relative_to(folder).with_suffix('')) for path in folder.glob('**/*.py')
        if not path.name.startswith('_'))


def find_tool(name: str, folder: Optional[Path] = None) -> Path:
    """The script of tool ``name`` (``get_flops``, ``analysis_tools/get_flops``, ``test.py``)."""
    folder = folder or tools_dir()
    stem = name[:-3] if name.endswith('.py') else name
    matches = [
        path
        for path in [folder / f'{stem}.py'] + [folder / sub / f'{stem}.py' for sub in SUBFOLDERS]
        if path.is_file()
    ]
    if not matches:
        raise ToolNotFoundError(
            f'no mmseg tool {name!r} in {folder}; available: {", ".join(available_tools(folder))}')
    return matches[0]


def run_tool(name: str, args: List[str]) -> None:
    """Run mmseg's tool ``name`` with command line ``args`` in this process, as ``__main__``."""
    script = find_tool(name)
    fix = inputs_take_precedence() if script.stem == 'get_flops' else contextlib.nullcontext()
    saved_argv = sys.argv
    sys.argv = [str(script), *args]
    try:
        with fix:
            runpy.run_path(str(script), run_name='__main__')
    finally:
        sys.argv = saved_argv


def main(argv: Optional[List[str]] = None) -> None:
    """Print the tools folder (no arguments), list the tools, or run one."""
    parser = argparse.ArgumentParser(
        prog='python -m mmseg_ht.mmseg_tools',
        description='Locate mmseg\'s tools, or run one of them on mmseg_ht configs.')
    parser.add_argument('--list', action='store_true', help='list the tools')
    parser.add_argument('tool', nargs='?', help='tool name, e.g. get_flops or test')
    parser.add_argument('args', nargs=argparse.REMAINDER, help="the tool's own arguments")
    options = parser.parse_args(argv)
    try:
        if options.list:
            print('\n'.join(available_tools()))
        elif options.tool is None:
            print(tools_dir())
        else:  # importing this module imported mmseg_ht: mmcv.ops stand-in, registrations
            run_tool(options.tool, options.args)
    except ToolNotFoundError as error:
        parser.exit(2, f'error: {error}\n')


if __name__ == '__main__':
    main()
