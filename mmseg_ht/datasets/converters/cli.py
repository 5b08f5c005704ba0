"""Command-line front end shared by ``tools/dataset_converters/<name>.py``."""
import argparse
import sys
from typing import List, Optional

from mmseg_ht.utils.cli import cli_main, error_message
from .context import ConvertOptions
from .errors import ConversionError
from .spec import ConverterSpec


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """SRC_DIR, OUT_DIR and the options every converter understands."""
    parser.add_argument('src', metavar='SRC_DIR', help='the unpacked public release')
    parser.add_argument(
        'out', metavar='OUT_DIR', help='output folder (then the config\'s DATA_ROOT)')
    parser.add_argument('--seed', type=int, default=0, help='seed of the random split (default 0)')
    parser.add_argument(
        '--crop-borders',
        action='store_true',
        help='crop the black frame / text overlays around the field of view')
    parser.add_argument(
        '--skip-corrupt',
        action='store_true',
        help='skip (and report) unreadable files instead of stopping')
    parser.add_argument(
        '--skip-unpaired',
        action='store_true',
        help='skip (and report) images without masks and masks without images')
    parser.add_argument(
        '--overwrite', action='store_true', help='replace an earlier conversion in OUT_DIR')


def build_parser(spec: ConverterSpec) -> argparse.ArgumentParser:
    """Parser for one converter: the common arguments plus its own flags."""
    parser = argparse.ArgumentParser(
        prog=f'tools/dataset_converters/{spec.name}.py',
        description=f'{spec.description}\nExpected source layout: {spec.source_layout}',
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_arguments(parser)
    for flag, help_text in spec.flags.items():
        parser.add_argument(flag, action='store_true', help=help_text)
    for option, keywords in spec.options.items():
        parser.add_argument(option, **keywords)
    return parser


def _dest(flag: str) -> str:
    """argparse destination of a ``--some-flag`` option."""
    return flag.lstrip('-').replace('-', '_')


@cli_main
def main(spec: ConverterSpec, argv: Optional[List[str]] = None) -> int:
    """Run one converter from the command line; print the summary; return the exit code.

    A ``ConversionError`` (the data or the output folder) prints ``error: ...`` and returns 1;
    the package's other errors go to ``cli_main`` (exit code 2).
    """
    args = build_parser(spec).parse_args(argv)
    options = ConvertOptions(
        seed=args.seed,
        crop_borders=args.crop_borders,
        skip_corrupt=args.skip_corrupt,
        skip_unpaired=args.skip_unpaired,
        overwrite=args.overwrite)
    extra = {_dest(flag): getattr(args, _dest(flag)) for flag in (*spec.flags, *spec.options)}
    try:
        report = spec.convert(args.src, args.out, options, **extra)
    except ConversionError as error:
        print(f'\nerror: {error_message(error)}', file=sys.stderr)
        return 1
    print('\n' + report.summary())
    print(f'report: {report.output}/conversion_report.json; set DATA_ROOT = {report.output!r}')
    return 0
