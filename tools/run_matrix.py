"""List (default) or launch the runs of an experiment matrix: train, then test, per run.

    python tools/run_matrix.py configs/experiments/paper.yaml [--tables T ...] [--list]
    python tools/run_matrix.py configs/experiments/paper.yaml --tables seg_main --run
        [--keep-going] [--redo] [--cfg-options key=value ...]

Without ``--run`` nothing is executed: the train and test command of every
run is printed (copy them into a cluster script if you like). With ``--run``
runs execute one after another in this process's environment; a run whose
work dir already holds ``test_results.json`` is skipped (``--redo`` repeats
it), so an interrupted matrix continues where it stopped. Afterwards:
``python tools/analysis/collect_results.py <work_root>/<table>``.
"""
import argparse
import os
import os.path as osp
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: runs without install

from mmseg_ht.analysis.experiment_matrix import find_checkpoint  # noqa: E402
from mmseg_ht.analysis.experiment_matrix import MatrixError, Run, format_command, load_matrix
from mmseg_ht.engine.experiment_record import RESULTS_FILE  # noqa: E402
from mmseg_ht.utils import cli_main  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='List or launch the runs of an experiment matrix')
    parser.add_argument('matrix', help='matrix file (YAML), e.g. configs/experiments/paper.yaml')
    parser.add_argument('--tables', nargs='+', help='only these tables (default: all)')
    parser.add_argument('--list', action='store_true', help='only list tables and run counts')
    parser.add_argument('--run', action='store_true', help='execute the runs (default: dry run)')
    parser.add_argument('--redo', action='store_true', help='repeat runs that already have results')
    parser.add_argument('--keep-going', action='store_true', help='continue after a failed run')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        help='key=value settings added to every run (e.g. a weights file)')
    return parser.parse_args()


def select_tables(tables: Dict[str, List[Run]], names) -> Dict[str, List[Run]]:
    """The requested tables, or an error naming those that exist."""
    if not names:
        return tables
    missing = [n for n in names if n not in tables]
    if missing:
        raise MatrixError(f'no table(s) {missing} in the matrix; tables: {", ".join(tables)}')
    return {n: tables[n] for n in names}


def print_plan(tables: Dict[str, List[Run]], only_counts: bool) -> None:
    """Every run's train and test commands (or only the number of runs per table)."""
    for name, runs in tables.items():
        done = sum(osp.isfile(osp.join(r.work_dir, RESULTS_FILE)) for r in runs)
        print(f'# table {name}: {len(runs)} runs ({done} with results)')
        if only_counts:
            continue
        for run in runs:
            if run.trains:
                print(format_command(run.train_command(), run.env))
                checkpoint = f'{run.work_dir}/best_*.pth'
            else:
                checkpoint = f'{run.checkpoint_dir}/best_*.pth'
            print(format_command(run.test_command(checkpoint), run.env))
        print()


def execute(run: Run) -> None:
    """Train (unless test-only) and test one run; raises ``RuntimeError`` on failure."""
    env = dict(os.environ, **run.env)

    def call(command: List[str]) -> None:
        print(f'\n$ {format_command(command, run.env)}', flush=True)
        if subprocess.call(command, cwd=REPO_ROOT, env=env) != 0:
            raise RuntimeError(f'{run.name}: command failed: {format_command(command, run.env)}')

    if run.trains:
        call(run.train_command(sys.executable))
    source = run.work_dir if run.trains else run.checkpoint_dir
    checkpoint = find_checkpoint(source)
    if checkpoint is None:
        raise RuntimeError(
            f'{run.name}: no checkpoint (best_*.pth or last_checkpoint) in {source}' +
            ('' if run.trains else '; run the table that trains it first'))
    call(run.test_command(str(checkpoint), sys.executable))


@cli_main
def main() -> int:
    args = parse_args()
    tables = select_tables(load_matrix(args.matrix, REPO_ROOT), args.tables)
    for runs in tables.values():
        for run in runs:
            run.cfg_options.extend(args.cfg_options)
    if not args.run:
        print_plan(tables, args.list)
        print('# dry run: nothing was executed; add --run to launch these runs')
        return 0
    failed = []
    for name, runs in tables.items():
        for index, run in enumerate(runs, start=1):
            if osp.isfile(osp.join(run.work_dir, RESULTS_FILE)) and not args.redo:
                print(f'[{name} {index}/{len(runs)}] {run.name}: results exist, skipped')
                continue
            print(f'[{name} {index}/{len(runs)}] {run.name}', flush=True)
            try:
                execute(run)
            except RuntimeError as err:
                print(f'error: {err}', file=sys.stderr)
                failed.append(run.name)
                if not args.keep_going:
                    return 1
        root = osp.dirname(runs[0].work_dir) if runs else ''
        print(f'\ntable {name} done; tables: python tools/analysis/collect_results.py {root}')
    if failed:
        print(f'{len(failed)} run(s) failed: {", ".join(failed)}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
