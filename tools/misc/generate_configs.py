"""Write every leaf config under configs/ from one table (tools/misc/config_table/).

Leaves are the configs outside configs/_base_/: each picks its bases and sets
the few lines that differ. Run after editing the table (a new backbone, adapter,
data set or task; configs/README.md); ``--check`` only reports, and exits 1 when a
leaf differs from what the table writes, is missing, or is not in the table.
Standard library only, so CI runs it before any environment is installed.

    python tools/misc/generate_configs.py [--check] [--config-dir DIR]
"""
import argparse
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence

# This folder, for the sibling package config_table (not the checkout: standard library only).
sys.path.insert(0, str(Path(__file__).resolve().parent))

from config_table import expected_leaves  # noqa: E402

CONFIG_DIR = Path(__file__).resolve().parents[2] / 'configs'
BASE_FOLDER = '_base_'  # inherited files, not leaves


def leaves_on_disk(config_dir: Path) -> List[str]:
    """Paths (posix, relative to ``config_dir``) of every leaf config present."""
    return sorted(
        path.relative_to(config_dir).as_posix() for path in config_dir.rglob('*.py')
        if path.relative_to(config_dir).parts[0] != BASE_FOLDER)


def compare(config_dir: Path, expected: Dict[str, str]) -> Dict[str, List[str]]:
    """Leaves that differ from the table (stale), are absent (missing) or not in it (extra)."""
    present = set(leaves_on_disk(config_dir))
    return dict(
        stale=[
            path for path in sorted(expected)
            if path in present and (config_dir / path).read_bytes() != expected[path].encode()
        ],
        missing=[path for path in sorted(expected) if path not in present],
        extra=sorted(present - set(expected)))


def report(config_dir: Path, problems: Dict[str, List[str]]) -> None:
    """Print one line per leaf that is not what the table writes, and what to do."""
    why = dict(
        stale='differs from what the table writes',
        missing='is missing',
        extra='is not in the table (add a row to tools/misc/config_table/ or delete it)')
    for kind, paths in problems.items():
        for path in paths:
            print(f'{kind}: {config_dir / path} {why[kind]}')


# Not decorated with mmseg_ht.utils.cli_main as the other tools are: importing mmseg_ht needs
# torch, and this tool runs on the standard library alone; it raises no MmsegHtError anyway.
def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--check',
        action='store_true',
        help='write nothing; exit 1 if any leaf is stale, missing or extra')
    parser.add_argument(
        '--config-dir',
        type=Path,
        default=CONFIG_DIR,
        help='the configs/ folder to write or check (default: this repo\'s)')
    args = parser.parse_args(argv)
    if not (args.config_dir / BASE_FOLDER).is_dir():
        print(
            f'error: {args.config_dir} has no {BASE_FOLDER}/ folder: give the configs/ folder '
            'of an mmseg_ht checkout as --config-dir',
            file=sys.stderr)
        return 2
    try:
        expected = expected_leaves()
    except ValueError as err:  # a row of the table that cannot be written
        print(f'error: {err}', file=sys.stderr)
        return 2
    problems = compare(args.config_dir, expected)
    if args.check:
        report(args.config_dir, problems)
        if any(problems.values()):
            print('run `python tools/misc/generate_configs.py` to rewrite the leaves from the '
                  'table (configs/README.md)')
            return 1
        print(f'{len(expected)} leaf configs match the table')
        return 0
    for path in problems['stale'] + problems['missing']:
        target = args.config_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(expected[path].encode())
    print(f"wrote {len(problems['stale']) + len(problems['missing'])} of {len(expected)} leaf "
          f'configs under {args.config_dir}')
    report(args.config_dir, dict(extra=problems['extra']))
    return 1 if problems['extra'] else 0


if __name__ == '__main__':
    sys.exit(main())
