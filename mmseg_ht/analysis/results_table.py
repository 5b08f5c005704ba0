"""Result tables like the paper's from ``test_results.json`` files of many runs.

Rows are method × backbone (× few-shot ratio), columns data set × metric,
with an average over data sets; runs that differ only in their seed are
aggregated to mean ± sample standard deviation. Records come from
``tools/test.py`` (see ``mmseg_ht.engine.experiment_record``).
"""
import csv
import json
import math
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from mmseg_ht.engine.experiment_record import RESULTS_FILE
from mmseg_ht.utils.errors import MmsegHtError

# Metric columns per task: (key in test_results.json without prefix, header, higher is better).
TASK_METRICS = {
    'segmentation':
    (('Dice', 'Dice', True), ('IoU', 'IoU', True), ('HD95', 'HD95', False), ('ASD', 'ASD', False)),
    'classification': (('accuracy', 'Acc', True), ('recall', 'Recall', True),
                       ('precision', 'Precision', True), ('f1', 'F1', True), ('auc', 'AUC', True)),
}
# Display order of rows: baselines first, the paper's method last; unknown names after, sorted.
METHOD_ORDER = ('UNet', 'ResNet-18', 'CLIPSeg', 'Zero-shot', 'Frozen', 'LoRA', 'Mona',
                'HT (NE only)', 'HT (FF only)', 'HT')
BACKBONE_ORDER = ('-', 'CLIP', 'MetaCLIP', 'UniMedCLIP', 'BiomedCLIP', 'DINOv2')
DATASET_ORDER = ('BUSI', 'DDTI', 'TN3K', 'Prostate', 'LN-INT', 'LN-EXT', 'Phantom')
AVERAGE = 'Average'


class ResultsFileError(MmsegHtError, ValueError):
    """A test_results.json that cannot be read or lacks what a table needs."""


@dataclass
class RunResult:
    """One test run: its labels and metrics (keys without a 'cls/'-style prefix)."""

    path: Path
    task: str
    method: str
    backbone: str
    dataset: str
    ratio: float
    seed: Optional[int]
    metrics: Dict[str, float]


@dataclass
class Cell:
    """Mean ± sample std of one metric over the runs (seeds) of one row and data set."""

    values: List[float] = field(default_factory=list)

    @property
    def mean(self) -> float:
        finite = [v for v in self.values if math.isfinite(v)]
        return sum(finite) / len(finite) if finite else math.nan

    @property
    def std(self) -> float:
        finite = [v for v in self.values if math.isfinite(v)]
        if len(finite) < 2:
            return math.nan
        mean = self.mean
        return math.sqrt(sum((v - mean)**2 for v in finite) / (len(finite) - 1))

    @property
    def n(self) -> int:
        return len(self.values)


RowKey = Tuple[str, str, str, float]  # task, method, backbone, ratio


def find_result_files(paths: Iterable[str]) -> List[Path]:
    """``test_results.json`` files: the given files, or all below the given folders."""
    files: List[Path] = []
    for entry in paths:
        path = Path(entry)
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files.extend(sorted(path.rglob(RESULTS_FILE)))
        else:
            raise ResultsFileError(f'{path} does not exist (give work dirs of tools/test.py runs '
                                   f'or {RESULTS_FILE} files)')
    if not files:
        raise ResultsFileError(f'no {RESULTS_FILE} below {", ".join(map(str, paths))}: run '
                               'tools/test.py CONFIG CHECKPOINT --work-dir DIR for each run first')
    return files


def read_result(path: Path) -> RunResult:
    """One ``test_results.json``; files without labels (older tools) use the config name."""
    try:
        record = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ResultsFileError(f'{path}: not a readable JSON file ({err}); re-run tools/test.py '
                               'for this work dir') from None
    if not isinstance(record, dict) or not isinstance(record.get('metrics'), dict):
        raise ResultsFileError(f'{path}: no "metrics" entry; is this a tools/test.py output?')
    labels = record.get('experiment')
    if labels is None:
        stem = Path(record.get('config', path.parent.name)).stem
        warnings.warn(f'{path}: no "experiment" labels (written by an older tools/test.py); '
                      f'using the config name {stem!r} as method')
        labels = dict(method=stem)
    metrics = {key.split('/')[-1]: float(value) for key, value in record['metrics'].items()}
    task = labels.get('task') or ('classification' if 'accuracy' in metrics else 'segmentation')
    return RunResult(
        path=path,
        task=task,
        method=str(labels.get('method', '?')),
        backbone=str(labels.get('backbone', '-')),
        dataset=str(labels.get('dataset', '-')),
        ratio=float(labels.get('ratio', 1.0)),
        seed=labels.get('seed'),
        metrics=metrics)


def _order(value: str, known: Sequence[str]) -> Tuple[int, str]:
    return (known.index(value), '') if value in known else (len(known), value)


def row_sort_key(key: RowKey) -> tuple:
    """Task, then ratio (full data before few-shot rows, ascending), method, backbone."""
    task, method, backbone, ratio = key
    return (task, ratio < 1.0, ratio, _order(method,
                                             METHOD_ORDER), _order(backbone, BACKBONE_ORDER))


class ResultsTable:
    """Runs grouped into rows (task, method, backbone, ratio) and data set columns."""

    def __init__(self, runs: Sequence[RunResult]) -> None:
        self.runs = list(runs)
        self.cells: Dict[RowKey, Dict[str, Dict[str, Cell]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(Cell)))
        seen: Dict[tuple, Path] = {}
        for run in self.runs:
            identity = (run.task, run.method, run.backbone, run.ratio, run.dataset, run.seed)
            if identity in seen:
                warnings.warn(f'{run.path} and {seen[identity]} are the same run '
                              f'({run.method}, {run.backbone}, {run.dataset}, ratio {run.ratio:g}, '
                              f'seed {run.seed}); both are counted')
            seen[identity] = run.path
            row = self.cells[(run.task, run.method, run.backbone, run.ratio)]
            for key, _, _ in TASK_METRICS.get(run.task, ()):
                if key in run.metrics:
                    row[run.dataset][key].values.append(run.metrics[key])

    def tasks(self) -> List[str]:
        return sorted({key[0] for key in self.cells}, key=lambda t: t != 'segmentation')

    def rows(self, task: str, few_shot: bool) -> List[RowKey]:
        keys = [k for k in self.cells if k[0] == task and (k[3] < 1.0) == few_shot]
        return sorted(keys, key=row_sort_key)

    def datasets(self, task: str) -> List[str]:
        names = {d for key, row in self.cells.items() if key[0] == task for d in row}
        return sorted(names, key=lambda d: _order(d, DATASET_ORDER))

    def average(self, key: RowKey, metric: str, datasets: Sequence[str]) -> Cell:
        """Mean over data sets of the per-data-set means; empty unless every data set is there."""
        row = self.cells[key]
        means = [row[d][metric].mean for d in datasets if d in row and row[d][metric].n]
        if len(means) != len(datasets) or len(datasets) < 2:
            return Cell()
        return Cell([sum(means) / len(means)])

    def markdown(self, task: str, few_shot: bool, decimals: int = 2) -> str:
        """One Markdown table; the best mean of each column in bold."""
        metrics = TASK_METRICS[task]
        datasets = self.datasets(task)
        columns = [(d, m) for d in datasets for m in metrics]
        if len(datasets) > 1:
            columns += [(AVERAGE, m) for m in metrics]
        keys = self.rows(task, few_shot)
        values = {
            (key, d, m[0]): (self.average(key, m[0], datasets) if d == AVERAGE else
                             self.cells[key][d][m[0]] if d in self.cells[key] else Cell())
            for key in keys
            for d, m in columns
        }
        best = {}
        for d, (metric, _, higher) in columns:
            means = [values[(k, d, metric)].mean for k in keys if values[(k, d, metric)].n]
            means = [v for v in means if math.isfinite(v)]
            if len(means) > 1:
                best[(d, metric)] = max(means) if higher else min(means)
        head = ['Method', 'Backbone'] + (['Data'] if few_shot else [])
        header = head + [f'{d} {h}' for d, (_, h, _) in columns] + ['runs']
        lines = [
            '| ' + ' | '.join(header) + ' |',
            '|' + '---|' * len(head) + '---:|' * (len(columns) + 1)
        ]
        for key in keys:
            cells = [key[1], key[2]] + ([f'{100 * key[3]:g} %'] if few_shot else [])
            for d, (metric, _, _) in columns:
                cell = values[(key, d, metric)]
                text = _format(cell, decimals)
                if cell.n and best.get((d, metric)) == cell.mean:
                    text = f'**{text}**'
                cells.append(text)
            counts = sorted({c.n for ds in self.cells[key].values() for c in ds.values() if c.n})
            cells.append('/'.join(map(str, counts)))
            lines.append('| ' + ' | '.join(cells) + ' |')
        return '\n'.join(lines)

    def report(self, decimals: int = 2) -> str:
        """All tables (per task: full training split, then few-shot), with titles and notes."""
        parts = []
        for task in self.tasks():
            for few_shot in (False, True):
                if not self.rows(task, few_shot):
                    continue
                title = f'{task.capitalize()}' + (' — few-shot (fraction of the training split)'
                                                  if few_shot else '')
                parts.append(f'### {title}\n\n{self.markdown(task, few_shot, decimals)}')
        units = ('Dice/IoU and classification metrics in %, HD95/ASD in pixels (mm when the '
                 'data set has a spacing); mean ± sample std over runs (seeds) where runs > 1; '
                 'best mean per column in bold; Average = mean over the data sets of a row.')
        return '\n\n'.join(parts) + f'\n\n{units}\n'

    def write_csv(self, path: Path) -> None:
        """Long format: one line per task, method, backbone, ratio, data set and metric."""
        with Path(path).open('w', newline='') as handle:
            writer = csv.writer(handle)
            writer.writerow([
                'task', 'method', 'backbone', 'ratio', 'dataset', 'metric', 'mean', 'std', 'n_runs',
                'values'
            ])
            for task in self.tasks():
                for few_shot in (False, True):
                    for key in self.rows(task, few_shot):
                        for dataset in self.datasets(task):
                            for metric, _, _ in TASK_METRICS[task]:
                                cell = self.cells[key].get(dataset, {}).get(metric)
                                if cell is None or not cell.n:
                                    continue
                                writer.writerow([
                                    *key[:3], f'{key[3]:g}', dataset, metric,
                                    _number(cell.mean),
                                    _number(cell.std), cell.n,
                                    ' '.join(_number(v) for v in cell.values)
                                ])


def _number(value: float) -> str:
    return '' if not math.isfinite(value) else f'{value:.6g}'


def _format(cell: Cell, decimals: int) -> str:
    if not cell.n:
        return '–'
    if not math.isfinite(cell.mean):
        return 'nan'
    text = f'{cell.mean:.{decimals}f}'
    if cell.n > 1 and math.isfinite(cell.std):
        text += f' ± {cell.std:.{decimals}f}'
    return text


def collect(paths: Iterable[str]) -> ResultsTable:
    """Read every ``test_results.json`` under ``paths`` into a table."""
    return ResultsTable([read_result(p) for p in find_result_files(paths)])
