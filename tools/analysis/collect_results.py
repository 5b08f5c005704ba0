"""Gather test results of many runs into the paper's tables (Markdown and CSV).

    python tools/analysis/collect_results.py WORK_DIR [WORK_DIR ...] [--out-md FILE]
        [--out-csv FILE] [--decimals 2]

Every ``test_results.json`` below the given folders (written by
tools/test.py) is one run. Rows are method x backbone (one per few-shot ratio
in the few-shot tables), columns data set x metric plus their average; runs
that differ only in the seed give mean ± sample std.
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the checkout: runs without install

from mmseg_ht.analysis.results_table import collect  # noqa: E402
from mmseg_ht.utils import cli_main  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Collect test results into tables')
    parser.add_argument('work_dirs', nargs='+', help='work dirs (searched recursively) or files')
    parser.add_argument('--out-md', help='write the Markdown tables to this file')
    parser.add_argument('--out-csv', help='write one line per run group and metric to this CSV')
    parser.add_argument('--decimals', type=int, default=2, help='decimals in the Markdown tables')
    return parser.parse_args()


@cli_main
def main() -> int:
    args = parse_args()
    table = collect(args.work_dirs)
    report = table.report(args.decimals)
    print(f'{len(table.runs)} runs\n\n{report}')
    if args.out_md:
        with open(args.out_md, 'w') as handle:
            handle.write(report)
    if args.out_csv:
        table.write_csv(args.out_csv)
    return 0


if __name__ == '__main__':
    sys.exit(main())
