"""The experiment matrix: which configs, seeds and few-shot ratios make up each table.

A matrix file (YAML) names tables; each table expands a config template over
a grid of values, seeds and ratios into runs, and every run into a train and
a test command of this repo's tools. ``tools/run_matrix.py`` prints (default)
or executes them. Format (see configs/experiments/paper.yaml)::

    work_root: work_dirs/paper          # runs go to <work_root>/<table>/<run name>
    data_roots: {busi: data/busi}       # DATA_ROOT per value of the grid key "dataset"
    cfg_options: []                     # added to every run
    options_by:                         # added to runs whose grid value matches, e.g.
      backbone: {clip: [model.backbone.pretrained=weights/ViT-B-16.pt]}
    tables:
      seg_main:
        config: configs/ht/{backbone}-{method}_{dataset}.py
        grid: {backbone: [clip], method: [frozen, ht], dataset: [busi]}
        seeds: [0, 1, 2]                # default [0]
        ratios: [1.0]                   # default [1.0]; < 1: few-shot subsets
        cfg_options: []                 # added to this table's runs
        task: segmentation              # or classification (no --pred-dir when testing)
        test_only_with: configs/ht/{backbone}-{method}_ln-int.py   # optional (LN-EXT):
                                        # no training, test the checkpoint of that run
"""
import itertools
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

import yaml

from mmseg_ht.datasets.few_shot import check_ratio
from mmseg_ht.utils.errors import MmsegHtError

TABLE_KEYS = {
    'config', 'grid', 'seeds', 'ratios', 'cfg_options', 'test_only_with', 'description', 'task'
}
TASKS = ('segmentation', 'classification')
TOP_KEYS = {'work_root', 'data_roots', 'cfg_options', 'options_by', 'tables', 'description'}


class MatrixError(MmsegHtError, ValueError):
    """A matrix file that cannot be expanded into runs."""


@dataclass
class Run:
    """One training + test of a config with a seed and a ratio."""

    table: str
    name: str
    config: str
    seed: int
    ratio: float
    work_dir: str
    cfg_options: List[str]
    env: Dict[str, str] = field(default_factory=dict)
    checkpoint_dir: Optional[str] = None  # test-only runs: the work dir holding the checkpoint
    task: str = 'segmentation'

    @property
    def trains(self) -> bool:
        return self.checkpoint_dir is None

    def train_command(self, python: str = 'python') -> List[str]:
        return [
            python, 'tools/train.py', self.config, '--work-dir', self.work_dir, '--cfg-options',
            *self.cfg_options
        ]

    def test_command(self, checkpoint: str, python: str = 'python') -> List[str]:
        outputs = (['--pred-dir', f'{self.work_dir}/predictions']
                   if self.task == 'segmentation' else [])
        return [
            python, 'tools/test.py', self.config, checkpoint, '--work-dir', self.work_dir, *outputs,
            '--cfg-options', *self.cfg_options
        ]


def format_command(command: Sequence[str], env: Optional[Dict[str, str]] = None) -> str:
    """A shell line (environment assignments first) that can be copied and pasted."""
    prefix = [f'{key}={shlex.quote(value)}' for key, value in sorted((env or {}).items())]
    return ' '.join(prefix + [shlex.quote(part) for part in command])


def _list(value, what: str, where: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise MatrixError(f'{where}: {what} must be a list, got {value!r}')
    return value


def _run_name(config: str, ratio: float, seed: int) -> str:
    stem = Path(config).stem
    return f'{stem}_r{ratio:g}_s{seed}' if ratio < 1.0 else f'{stem}_s{seed}'


def _expand_grid(template: str, grid: Dict[str, list], where: str) -> List[Dict[str, str]]:
    keys = sorted(grid)
    combos = [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))]
    for combo in combos:
        try:
            template.format(**combo)
        except KeyError as err:
            raise MatrixError(f'{where}: the config template uses {{{err.args[0]}}} but grid '
                              f'has no such key (keys: {", ".join(keys) or "none"})') from None
    return combos


def expand_table(name: str, table: dict, matrix: dict, repo_root: Path,
                 path: Union[str, Path]) -> List[Run]:
    """The runs of one table, in grid order, then ratio, then seed."""
    where = f'{path}, table {name!r}'
    if not isinstance(table, dict) or 'config' not in table:
        raise MatrixError(f'{where}: needs a "config" template')
    unknown = set(table) - TABLE_KEYS
    if unknown:
        raise MatrixError(
            f'{where}: unknown keys {sorted(unknown)} (allowed: {sorted(TABLE_KEYS)})')
    grid = table.get('grid') or {}
    if not isinstance(grid, dict) or not all(isinstance(v, list) and v for v in grid.values()):
        raise MatrixError(f'{where}: "grid" must map names to non-empty lists')
    seeds = [int(s) for s in _list(table.get('seeds', [0]), 'seeds', where)]
    try:
        ratios = [check_ratio(r) for r in _list(table.get('ratios', [1.0]), 'ratios', where)]
    except ValueError as err:
        raise MatrixError(f'{where}: {err}') from None
    task = table.get('task', 'segmentation')
    if task not in TASKS:
        raise MatrixError(f'{where}: task must be one of {TASKS}, got {task!r}')
    options = ([str(o) for o in _list(matrix.get('cfg_options'), 'cfg_options', str(path))] +
               [str(o) for o in _list(table.get('cfg_options'), 'cfg_options', where)])
    data_roots = matrix.get('data_roots') or {}
    work_root = Path(matrix.get('work_root', 'work_dirs/matrix')) / name
    runs = []
    for combo in _expand_grid(table['config'], grid, where):
        config = table['config'].format(**combo)
        if not (repo_root / config).is_file():
            raise MatrixError(f'{where}: config {config} does not exist')
        env, combo_options = {}, []
        for key, by_value in (matrix.get('options_by') or {}).items():
            if key in combo:
                combo_options += [
                    str(o)
                    for o in _list((by_value or {}).get(combo[key]), f'options_by.{key}', str(path))
                ]
        dataset = combo.get('dataset')
        if dataset is not None and dataset in data_roots:
            env['DATA_ROOT'] = str(data_roots[dataset])
        checkpoint_dir = None
        for ratio in ratios:
            for seed in seeds:
                run_options = [f'randomness.seed={seed}']
                if ratio < 1.0:
                    run_options += [
                        f'train_dataloader.dataset.ratio={ratio:g}',
                        f'train_dataloader.dataset.ratio_seed={seed}'
                    ]
                if table.get('test_only_with'):
                    source = table['test_only_with'].format(**combo)
                    checkpoint_dir = str(
                        _work_root_of(matrix, source, matrix_tables(matrix)) /
                        _run_name(source, ratio, seed))
                runs.append(
                    Run(table=name,
                        name=_run_name(config, ratio, seed),
                        config=config,
                        seed=seed,
                        ratio=ratio,
                        work_dir=str(work_root / _run_name(config, ratio, seed)),
                        cfg_options=run_options + combo_options + options,
                        env=env,
                        checkpoint_dir=checkpoint_dir,
                        task=task))
    return runs


def find_checkpoint(work_dir: Union[str, Path]) -> Optional[Path]:
    """The checkpoint to test: the best one (``best_*.pth``), else the last one saved."""
    work_dir = Path(work_dir)
    best = sorted(work_dir.glob('best_*.pth'), key=lambda p: p.stat().st_mtime)
    if best:
        return best[-1]
    last = work_dir / 'last_checkpoint'
    if last.is_file():
        path = Path(last.read_text().strip())
        return path if path.is_file() else None
    return None


def matrix_tables(matrix: dict) -> Dict[str, dict]:
    return matrix.get('tables') or {}


def _work_root_of(matrix: dict, config: str, tables: Dict[str, dict]) -> Path:
    """The table folder of the (training) run of ``config``: the first table that trains it."""
    for name, table in tables.items():
        if table.get('test_only_with'):
            continue
        grid = table.get('grid') or {}
        for combo in _expand_grid(table['config'], grid, name):
            if table['config'].format(**combo) == config:
                return Path(matrix.get('work_root', 'work_dirs/matrix')) / name
    raise MatrixError(f'test_only_with names {config}, which no table of the matrix trains')


def load_matrix(path: Union[str, Path], repo_root: Union[str, Path]) -> Dict[str, List[Run]]:
    """Table name → runs, for every table of the matrix file at ``path``."""
    path = Path(path)
    if not path.is_file():
        raise MatrixError(f'matrix file not found: {path}')
    try:
        matrix = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise MatrixError(f'{path}: not valid YAML ({err})') from None
    if not isinstance(matrix, dict) or not isinstance(matrix.get('tables'), dict):
        raise MatrixError(f'{path}: needs a "tables" mapping (see mmseg_ht/analysis/'
                          'experiment_matrix.py for the format)')
    unknown = set(matrix) - TOP_KEYS
    if unknown:
        raise MatrixError(f'{path}: unknown keys {sorted(unknown)} (allowed: {sorted(TOP_KEYS)})')
    return {
        name: expand_table(name, table, matrix, Path(repo_root), path)
        for name, table in matrix['tables'].items()
    }
