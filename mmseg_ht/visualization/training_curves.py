"""Training curves (loss, learning rate, validation metrics) from mmengine's JSON scalar logs.

mmengine's ``LocalVisBackend`` (``vis_backends`` in configs/_base_/default_runtime.py)
appends one JSON object per line to ``<work_dir>/<timestamp>/vis_data/scalars.json``:

* training lines, every ``default_hooks.logger.interval`` iterations:
  ``{"lr": ..., "data_time": ..., "loss": ..., "decode.loss_ce": ..., "time": ...,
  "iter": 20, "step": 20}``;
* validation lines, after each validation: the metrics (``Dice``, ``IoU``, ``HD95``,
  ``ASD``, ... or ``accuracy/top1``, ...) plus ``data_time``/``time`` and ``step`` = the
  training iteration, but no ``iter``.

So a line with ``iter`` is a training line. A key is read from the training lines
when any of them has it (``time`` and ``data_time`` appear in both kinds) and from
the validation lines otherwise. A resumed run writes a new timestamp folder; the
folders are joined in time order, a later folder replacing the points of the
earlier ones from its first step on (a run resumed from an earlier checkpoint
repeats those iterations).

``tools/analysis/visualize.py curves`` is the command-line front end. Plots use
matplotlib's Agg canvas directly (no pyplot, no display, no global backend switch).
"""
import glob
import json
import math
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from mmseg_ht.utils.errors import MmsegHtError

SCALARS_FILE = 'scalars.json'
SUBPLOT_SIZE = (4.5, 3.2)  # inches per subplot
DPI = 120
MAX_COLUMNS = 3  # subplots per figure row
HEADLINE_METRICS = ('Dice', 'mDice', 'accuracy/top1', 'IoU', 'mIoU')
_BOOKKEEPING = {'iter', 'step', 'epoch'}


class CurveInputError(MmsegHtError, ValueError):
    """A work dir has no scalar log, a log line is not JSON, or a key was logged nowhere."""


@dataclass
class Curve:
    """One key's values over the training iterations; ``source`` is 'train' or 'val'."""

    steps: np.ndarray
    values: np.ndarray
    source: str


def find_scalar_logs(work_dir: str) -> List[str]:
    """The ``scalars.json`` files of a run in time order.

    ``work_dir`` may be a work dir (``<work_dir>/<timestamp>/vis_data/scalars.json``), one
    timestamp folder, or a ``scalars.json`` file itself. Timestamp folders are named
    ``YYYYMMDD_HHMMSS``, so name order is time order. Folders without the file (test runs
    log no scalars) are skipped.
    """
    if osp.isfile(work_dir):
        return [work_dir]
    if not osp.isdir(work_dir):
        raise CurveInputError(f'{work_dir} does not exist; pass the --work-dir of a '
                              'tools/train.py run.')
    own = osp.join(work_dir, 'vis_data', SCALARS_FILE)
    if osp.isfile(own):
        return [own]
    logs = sorted(
        glob.glob(osp.join(work_dir, '*', 'vis_data', SCALARS_FILE)),
        key=lambda path: osp.basename(osp.dirname(osp.dirname(path))))
    if not logs:
        raise CurveInputError(
            f'no {osp.join(work_dir, "<timestamp>", "vis_data", SCALARS_FILE)} found: {work_dir} '
            'holds no training log. Pass the --work-dir of a tools/train.py run (its config '
            "must keep vis_backends=[dict(type='LocalVisBackend')]).")
    return logs


def read_scalars(path: str) -> List[Dict]:
    """The JSON objects of a ``scalars.json`` file, one per non-empty line."""
    records = []
    with open(path) as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                if number > 1 and not handle.read().strip():
                    break  # last line cut short by an interrupted run: keep what came before
                raise CurveInputError(f'{path}:{number} is not a JSON object ({err}); is this '
                                      "an mmengine LocalVisBackend scalars.json?") from err
            if isinstance(record, dict):
                records.append(record)
    return records


def _is_number(value) -> bool:
    """Finite int/float (not bool): what a curve can plot."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def logged_keys(records: Sequence[Dict]) -> Tuple[List[str], List[str]]:
    """(training keys, validation keys) with numeric values, in first-seen order."""
    train: Dict[str, None] = {}
    val: Dict[str, None] = {}
    for record in records:
        target = train if 'iter' in record else val
        for key, value in record.items():
            if key not in _BOOKKEEPING and _is_number(value):
                target.setdefault(key)
    return list(train), list(val)


def extract_curve(records: Sequence[Dict], key: str) -> Optional[Curve]:
    """``key`` over the iterations of one log (training lines first), or None if not logged."""
    for source, lines in (('train', [r for r in records if 'iter' in r]),
                          ('val', [r for r in records if 'iter' not in r])):
        points = [(r.get('step', r.get('iter')), r[key]) for r in lines
                  if _is_number(r.get(key)) and _is_number(r.get('step', r.get('iter')))]
        if points:
            steps, values = zip(*points)
            return Curve(np.asarray(steps, dtype=float), np.asarray(values, dtype=float), source)
    return None


def join_segments(segments: Sequence[Curve]) -> Curve:
    """Curves of consecutive (resumed) runs as one; a later segment replaces the earlier
    points from its first step on."""
    steps, values = np.empty(0), np.empty(0)
    for segment in segments:
        if len(segment.steps):
            keep = steps < segment.steps[0]
            steps = np.concatenate([steps[keep], segment.steps])
            values = np.concatenate([values[keep], segment.values])
    return Curve(steps, values, segments[0].source if segments else 'train')


@dataclass
class RunLog:
    """All scalar records of one work dir, one list per timestamp folder (time order)."""

    work_dir: str
    files: List[str]
    segments: List[List[Dict]]

    def keys(self) -> Tuple[List[str], List[str]]:
        """(training keys, validation keys) logged anywhere in the run."""
        train: Dict[str, None] = {}
        val: Dict[str, None] = {}
        for records in self.segments:
            seg_train, seg_val = logged_keys(records)
            train.update(dict.fromkeys(seg_train))
            val.update(dict.fromkeys(seg_val))
        return list(train), list(val)

    def curve(self, key: str) -> Optional[Curve]:
        """``key`` over the whole run, or None if it was never logged."""
        parts = [extract_curve(records, key) for records in self.segments]
        parts = [part for part in parts if part is not None]
        if not parts:
            return None
        source = 'train' if any(part.source == 'train' for part in parts) else 'val'
        return join_segments([part for part in parts if part.source == source])


def load_run_log(work_dir: str) -> RunLog:
    """Read every ``scalars.json`` of ``work_dir`` (see :func:`find_scalar_logs`)."""
    files = find_scalar_logs(work_dir)
    return RunLog(work_dir, files, [read_scalars(path) for path in files])


def all_keys(runs: Sequence[RunLog]) -> Tuple[List[str], List[str]]:
    """(training keys, validation keys) logged by any of ``runs``, in first-seen order."""
    train: Dict[str, None] = {}
    val: Dict[str, None] = {}
    for run in runs:
        run_train, run_val = run.keys()
        train.update(dict.fromkeys(run_train))
        val.update(dict.fromkeys(run_val))
    return list(train), list(val)


def default_keys(runs: Sequence[RunLog]) -> List[str]:
    """``loss`` and the first headline metric (Dice, accuracy/top1, ...) logged by any run."""
    train_keys, val_keys = all_keys(runs)
    keys = ['loss'] if 'loss' in train_keys else []
    keys += [key for key in HEADLINE_METRICS if key in val_keys][:1]
    if not keys:
        raise CurveInputError('the logs have neither "loss" nor a headline metric; pass --keys '
                              f'(logged: {", ".join(train_keys + val_keys) or "nothing"})')
    return keys


def collect_curves(runs: Sequence[RunLog], keys: Sequence[str]) -> List[Dict[str, Curve]]:
    """Per run, ``key -> Curve`` for the keys it logged; error if a key was logged by no run."""
    curves = [{key: curve for key in keys if (curve := run.curve(key)) is not None} for run in runs]
    for key in keys:
        if not any(key in run_curves for run_curves in curves):
            train_keys, val_keys = all_keys(runs)
            files = ', '.join(path for run in runs for path in run.files)
            raise CurveInputError(
                f'key {key!r} is in none of the logs ({files}). Logged keys - training: '
                f'{", ".join(train_keys) or "none"}; validation: {", ".join(val_keys) or "none"}.'
                ' Pass one of them with --keys.')
    return curves


def figure_pixels(num_keys: int) -> Tuple[int, int]:
    """(width, height) in pixels of the figure :func:`plot_curves` draws for ``num_keys``."""
    columns = min(MAX_COLUMNS, num_keys)
    rows = math.ceil(num_keys / columns)
    return round(SUBPLOT_SIZE[0] * columns * DPI), round(SUBPLOT_SIZE[1] * rows * DPI)


def plot_curves(curves: Sequence[Dict[str, Curve]], labels: Sequence[str], keys: Sequence[str],
                out_path: str) -> None:
    """One subplot per key (x = iteration), one line per run; saved to ``out_path`` (PNG, PDF,
    SVG by extension). Validation curves get point markers (they have few points)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if len(curves) != len(labels):
        raise ValueError(f'{len(labels)} labels for {len(curves)} runs')
    columns = min(MAX_COLUMNS, len(keys))
    rows = math.ceil(len(keys) / columns)
    figure = Figure(figsize=(SUBPLOT_SIZE[0] * columns, SUBPLOT_SIZE[1] * rows), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for axis, key in zip(axes, keys):
        for index, (run_curves, label) in enumerate(zip(curves, labels)):
            curve = run_curves.get(key)
            if curve is None:
                continue
            marker = dict(marker='o', markersize=3) if curve.source == 'val' else {}
            axis.plot(
                curve.steps, curve.values, label=label, color=f'C{index}', linewidth=1.2, **marker)
        axis.set_title(key)
        axis.set_xlabel('iteration')
        axis.grid(True, alpha=0.3)
        if axis.has_data():
            axis.legend(fontsize='small')
    for axis in axes[len(keys):]:
        axis.set_visible(False)
    figure.tight_layout()
    figure.savefig(out_path, dpi=DPI)
