"""The paper's qualitative figure: test images x (image, ground truth, one column per method).

Every method cell shows that method's prediction as a TP / FP / FN overlay
(:func:`~mmseg_ht.visualization.error_overlay.draw_error_overlay`, colour-blind
safe colours) with its per-image Dice in the lower-left corner; a header row
names the columns and a legend row at the bottom explains the colours, so the
figure reads on its own. All cells are squares of ``cell_size`` pixels (masks
resized nearest-neighbour), separated by ``GAP`` white pixels.

Two layers, so the drawing can be tested without files:

* composition (:func:`compose_grid` and the cell helpers): pure functions of
  arrays;
* inputs (:func:`load_run`, :func:`select_stems`, :func:`load_grid_rows`): read
  the ``test_results.json`` that ``tools/test.py --pred-dir`` writes and the
  images, ground truths and predicted masks it points to. Every problem is a
  :class:`GridInputError` whose message names the file, what is wrong and
  what to do.

``tools/analysis/visualize.py grid`` is the command-line front end.
"""
import json
import math
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from mmseg_ht.engine.experiment_record import RESULTS_FILE  # written by tools/test.py
from mmseg_ht.utils.errors import MmsegHtError
from .error_overlay import (FN_COLOUR, FP_COLOUR, GT_OUTLINE_COLOUR, PRED_COLOUR, TP_COLOUR,
                            dice_score, draw_error_overlay)

GAP = 2  # white pixels between neighbouring cells and rows
BACKGROUND = (255, 255, 255)
TEXT_COLOUR = (0, 0, 0)
TAG_BACKGROUND = (24, 24, 24)
TAG_TEXT = (235, 235, 235)
OUTLINE_SWATCH_FILL = (90, 90, 90)  # dark square behind outline-colour swatches (white GT outline)
FIXED_COLUMNS = ('Image', 'Ground truth')
_FONT = cv2.FONT_HERSHEY_SIMPLEX

Colour = Tuple[int, int, int]


class GridInputError(MmsegHtError, ValueError):
    """A work dir, image or mask the grid needs is missing or inconsistent."""


# ----------------------------------------------------------------------------------------------
# Composition: pure functions of arrays
# ----------------------------------------------------------------------------------------------
def label_height(cell_size: int) -> int:
    """Height in pixels of the header row and of the legend row for ``cell_size`` cells."""
    return max(16, cell_size // 6)


@dataclass(frozen=True)
class GridLayout:
    """Pixel geometry of a grid of ``rows`` images x ``columns`` columns of square cells.

    From the top: header row (``label_height``), ``GAP``, the image rows separated by
    ``GAP``, ``GAP``, legend row (``label_height``). Columns are separated by ``GAP``.
    """

    rows: int
    columns: int
    cell_size: int

    @property
    def label_height(self) -> int:
        """Height of the header row and of the legend row."""
        return label_height(self.cell_size)

    @property
    def width(self) -> int:
        """Width of the whole figure."""
        return self.columns * self.cell_size + (self.columns - 1) * GAP

    @property
    def height(self) -> int:
        """Height of the whole figure."""
        body = self.rows * self.cell_size + (self.rows - 1) * GAP
        return 2 * self.label_height + 2 * GAP + body

    def cell_origin(self, row: int, column: int) -> Tuple[int, int]:
        """(y, x) of the top-left pixel of the cell of image ``row`` in ``column``."""
        step = self.cell_size + GAP
        return self.label_height + GAP + row * step, column * step


def fit_square(array: np.ndarray, size: int, is_mask: bool = False) -> np.ndarray:
    """``array`` resized to ``size`` x ``size`` (nearest for masks, area/linear for images).

    Masks come back as uint8 0/1 (non-zero = lesion), images unchanged in dtype.
    """
    array = np.asarray(array)
    if is_mask:
        mask = (array != 0).astype(np.uint8)
        return cv2.resize(mask, (size, size), interpolation=cv2.INTER_NEAREST)
    shrinking = array.shape[0] > size or array.shape[1] > size
    return cv2.resize(
        array, (size, size), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


def _fitted_scale(text: str, max_width: int, max_height: int, thickness: int = 1) -> float:
    """Largest Hershey font scale (capped at 1) at which ``text`` fits the box."""
    width, height = cv2.getTextSize(text or ' ', _FONT, 1.0, thickness)[0]
    return max(0.2, min(1.0, max_width / max(width, 1), max_height / max(height, 1)))


def text_cell(text: str,
              width: int,
              height: int,
              colour: Colour = TEXT_COLOUR,
              background: Colour = BACKGROUND) -> np.ndarray:
    """``height`` x ``width`` BGR strip with ``text`` centred, shrunk to fit."""
    cell = np.full((height, width, 3), background, dtype=np.uint8)
    scale = _fitted_scale(text, width - 4, int(height * 0.6))
    (text_w, text_h), _ = cv2.getTextSize(text, _FONT, scale, 1)
    origin = (max(2, (width - text_w) // 2), (height + text_h) // 2)
    cv2.putText(cell, text, origin, _FONT, scale, colour, 1, cv2.LINE_AA)
    return cell


def ground_truth_cell(gt: np.ndarray, size: int) -> np.ndarray:
    """The ground-truth mask as white lesion on black, ``size`` x ``size`` BGR."""
    mask = fit_square(gt, size, is_mask=True)
    return cv2.cvtColor(mask * np.uint8(255), cv2.COLOR_GRAY2BGR)


def image_cell(image: np.ndarray, size: int) -> np.ndarray:
    """The 8-bit grey or BGR image as a ``size`` x ``size`` BGR cell."""
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise TypeError(f'image must be uint8, got {image.dtype}')
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    cell = fit_square(image, size)
    return cv2.cvtColor(cell, cv2.COLOR_GRAY2BGR) if cell.ndim == 2 else cell


def dice_tag(cell: np.ndarray, dice: float) -> np.ndarray:
    """Copy of ``cell`` with ``Dice 0.xxx`` (or ``Dice n/a`` when both masks are empty)
    on a dark box in its lower-left corner."""
    cell = cell.copy()
    size = cell.shape[1]
    text = 'Dice n/a' if math.isnan(dice) else f'Dice {dice:.3f}'
    box_h = max(9, size // 9)
    scale = _fitted_scale(text, size // 2, int(box_h * 0.7))
    (text_w, text_h), _ = cv2.getTextSize(text, _FONT, scale, 1)
    top = cell.shape[0] - box_h
    cv2.rectangle(cell, (0, top), (text_w + 4, cell.shape[0] - 1), TAG_BACKGROUND, cv2.FILLED)
    cv2.putText(cell, text, (2, top + (box_h + text_h) // 2), _FONT, scale, TAG_TEXT, 1,
                cv2.LINE_AA)
    return cell


def method_cell(image: np.ndarray,
                gt: np.ndarray,
                pred: np.ndarray,
                size: int,
                show_dice: bool = True) -> np.ndarray:
    """TP / FP / FN overlay of ``pred`` against ``gt`` on ``image``, as a square cell.

    The Dice is computed at the original resolution (before resizing), so it is
    the number the metrics report for this image.
    """
    if np.shape(pred)[:2] != np.shape(gt)[:2]:
        raise ValueError(f'prediction {np.shape(pred)} and ground truth {np.shape(gt)} '
                         'differ in size')
    cell = draw_error_overlay(
        image_cell(image, size),
        fit_square(pred, size, is_mask=True),
        fit_square(gt, size, is_mask=True),
        legend=False)
    return dice_tag(cell, dice_score(pred, gt)) if show_dice else cell


def colour_legend_row(width: int, height: int) -> np.ndarray:
    """Strip explaining the overlay colours: filled TP / FP / FN swatches and the outline
    colours of ground truth and prediction (on a dark swatch, as on the images)."""
    row = np.full((height, width, 3), BACKGROUND, dtype=np.uint8)
    entries = [('true positive', TP_COLOUR, False), ('false positive', FP_COLOUR, False),
               ('false negative', FN_COLOUR, False), ('GT outline', GT_OUTLINE_COLOUR, True),
               ('prediction outline', PRED_COLOUR, True)]
    swatch, gap = max(6, int(height * 0.6)), max(3, height // 4)
    fixed = len(entries) * (swatch + 2 * gap) + gap
    words = sum(cv2.getTextSize(label, _FONT, 1.0, 1)[0][0] for label, _, _ in entries)
    scale = max(
        0.2,
        min(height * 0.5 / cv2.getTextSize('Ag', _FONT, 1.0, 1)[0][1],
            (width - fixed) / max(words, 1)))
    text_h = cv2.getTextSize('Ag', _FONT, scale, 1)[0][1]
    top, baseline, x = (height - swatch) // 2, (height + text_h) // 2, gap
    for label, colour, is_outline in entries:
        corner = (x + swatch - 1, top + swatch - 1)
        cv2.rectangle(row, (x, top), corner, OUTLINE_SWATCH_FILL if is_outline else colour,
                      cv2.FILLED)
        if is_outline:
            cv2.rectangle(row, (x + 1, top + 1), (corner[0] - 1, corner[1] - 1), colour, 1)
        x += swatch + gap // 2
        cv2.putText(row, label, (x, baseline), _FONT, scale, TEXT_COLOUR, 1, cv2.LINE_AA)
        x += cv2.getTextSize(label, _FONT, scale, 1)[0][0] + gap + gap // 2
    return row


def compose_grid(images: Sequence[np.ndarray],
                 ground_truths: Sequence[np.ndarray],
                 predictions: Sequence[Sequence[np.ndarray]],
                 method_labels: Sequence[str],
                 cell_size: int = 160,
                 show_dice: bool = True) -> np.ndarray:
    """The qualitative figure as one BGR uint8 array (geometry: :class:`GridLayout`).

    Args:
        images: One 8-bit grey or BGR image per row.
        ground_truths: The rows' ground-truth masks (non-zero = lesion), image-sized.
        predictions: ``predictions[m][r]``: method ``m``'s mask for row ``r``.
        method_labels: Header of each method column.
        cell_size: Side of every square cell in pixels.
        show_dice: Write each prediction's Dice in its cell.
    """
    rows, methods = len(images), len(predictions)
    if rows == 0 or methods == 0:
        raise ValueError('the grid needs at least one image and one method')
    if len(ground_truths) != rows:
        raise ValueError(f'{len(ground_truths)} ground truths for {rows} images')
    if len(method_labels) != methods:
        raise ValueError(f'{len(method_labels)} labels for {methods} methods')
    for label, masks in zip(method_labels, predictions):
        if len(masks) != rows:
            raise ValueError(f'method {label!r} has {len(masks)} predictions for {rows} images')
    layout = GridLayout(rows, len(FIXED_COLUMNS) + methods, cell_size)
    canvas = np.full((layout.height, layout.width, 3), BACKGROUND, dtype=np.uint8)
    for column, title in enumerate(list(FIXED_COLUMNS) + list(method_labels)):
        x = layout.cell_origin(0, column)[1]
        canvas[:layout.label_height, x:x + cell_size] = text_cell(title, cell_size,
                                                                  layout.label_height)
    for row in range(rows):
        cells = [
            image_cell(images[row], cell_size),
            ground_truth_cell(ground_truths[row], cell_size)
        ]
        cells += [
            method_cell(images[row], ground_truths[row], masks[row], cell_size, show_dice)
            for masks in predictions
        ]
        for column, cell in enumerate(cells):
            y, x = layout.cell_origin(row, column)
            canvas[y:y + cell_size, x:x + cell_size] = cell
    canvas[layout.height - layout.label_height:] = colour_legend_row(layout.width,
                                                                     layout.label_height)
    return canvas


# ----------------------------------------------------------------------------------------------
# Inputs: test_results.json of each work dir, the test images, ground truths and predictions
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RunRecord:
    """What the grid needs from one work dir's ``test_results.json``."""

    work_dir: str
    label: str
    img_dir: str
    ann_dir: str
    img_suffix: str
    seg_map_suffix: str
    predictions: str

    def prediction_stems(self) -> List[str]:
        """Sorted stems of the ``*.png`` masks in the predictions folder."""
        return sorted(
            osp.splitext(name)[0] for name in os.listdir(self.predictions) if name.endswith('.png'))

    def image_path(self, stem: str) -> str:
        """Test image of ``stem`` (a prediction is named after its image minus the extension)."""
        extension = osp.splitext(self.img_suffix)[1] or self.img_suffix
        return osp.join(self.img_dir, stem + extension)

    def ground_truth_path(self, stem: str) -> str:
        """Ground-truth mask of ``stem`` (``img_suffix`` swapped for ``seg_map_suffix``)."""
        extension = osp.splitext(self.img_suffix)[1] or self.img_suffix
        tag = self.img_suffix[:len(self.img_suffix) - len(extension)]
        sample = stem[:len(stem) - len(tag)] if tag and stem.endswith(tag) else stem
        return osp.join(self.ann_dir, sample + self.seg_map_suffix)

    def prediction_path(self, stem: str) -> str:
        """Predicted mask of ``stem``."""
        return osp.join(self.predictions, stem + '.png')


def default_label(experiment: Dict) -> str:
    """Column header of a run: ``"{method} ({backbone})"`` from its ``experiment`` labels."""
    method, backbone = experiment.get('method'), experiment.get('backbone')
    method = method or experiment.get('config_name') or '?'
    return f'{method} ({backbone})' if backbone and backbone != '-' else str(method)


def load_run(work_dir: str, label: Optional[str] = None) -> RunRecord:
    """Read ``<work_dir>/test_results.json`` and check the folders the grid needs exist."""
    path = osp.join(work_dir, RESULTS_FILE)
    if not osp.isfile(path):
        raise GridInputError(
            f'{path} not found: {work_dir} has no test results. Run tools/test.py CONFIG '
            f'CHECKPOINT --work-dir {work_dir} --pred-dir {osp.join(work_dir, "predictions")} '
            'first.')
    try:
        with open(path) as handle:
            record = json.load(handle)
    except (OSError, json.JSONDecodeError) as err:
        raise GridInputError(f'{path} is not readable JSON ({err}); re-run tools/test.py to '
                             'write it again.') from err
    data = record.get('data') or {}
    if not record.get('predictions'):
        raise GridInputError(
            f'{path} has "predictions": null: that test run did not save its masks. Re-run '
            f'tools/test.py with --pred-dir (e.g. --pred-dir {osp.join(work_dir, "predictions")})'
            ' and the same --work-dir.')
    if not data.get('img_dir') or not data.get('ann_dir'):
        raise GridInputError(
            f'{path} names no test image/mask folders ("data.img_dir"/"data.ann_dir"); the '
            'grid needs a segmentation run tested by tools/test.py (re-run it to record them).')
    run = RunRecord(
        work_dir=work_dir,
        label=label if label is not None else default_label(record.get('experiment') or {}),
        img_dir=data['img_dir'],
        ann_dir=data['ann_dir'],
        img_suffix=data.get('img_suffix') or '.png',
        seg_map_suffix=data.get('seg_map_suffix') or '.png',
        predictions=record['predictions'])
    for name, folder in (('predictions', run.predictions), ('data.img_dir', run.img_dir),
                         ('data.ann_dir', run.ann_dir)):
        if not osp.isdir(folder):
            raise GridInputError(
                f'{path}: folder {folder} ("{name}") does not exist. Was it moved or deleted? '
                'Re-run tools/test.py (with --pred-dir) so the record points at existing '
                'folders.')
    return run


def check_same_dataset(runs: Sequence[RunRecord]) -> None:
    """Error unless every run was tested on the same image and mask folders."""

    def key(run: RunRecord) -> Tuple[str, str]:
        return osp.normpath(osp.abspath(run.img_dir)), osp.normpath(osp.abspath(run.ann_dir))

    if len({key(run) for run in runs}) > 1:
        listing = '\n'.join(f'  {run.work_dir}: img_dir={run.img_dir} ann_dir={run.ann_dir}'
                            for run in runs)
        raise GridInputError('the work dirs were tested on different data sets, so their '
                             'predictions cannot share rows:\n' + listing +
                             '\nPass work dirs tested on the same test set.')


def spread_evenly(stems: Sequence[str], count: int) -> List[str]:
    """``count`` items of ``stems`` spread evenly from first to last (all if fewer)."""
    if count <= 0:
        raise ValueError(f'count must be positive, got {count}')
    if count >= len(stems):
        return list(stems)
    if count == 1:
        return [stems[0]]
    return [stems[round(i * (len(stems) - 1) / (count - 1))] for i in range(count)]


def select_stems(runs: Sequence[RunRecord],
                 images: Optional[Sequence[str]] = None,
                 num_images: int = 4) -> List[str]:
    """The rows' image stems: ``images`` (checked against every predictions folder), or
    ``num_images`` stems predicted by every run, spread evenly over the sorted list."""
    available = [set(run.prediction_stems()) for run in runs]
    if images:
        for run, stems in zip(runs, available):
            missing = [stem for stem in images if stem not in stems]
            if missing:
                example = ', '.join(sorted(stems)[:5]) or 'none'
                raise GridInputError(
                    f'no prediction for {", ".join(missing)} in {run.predictions} '
                    f'(work dir {run.work_dir}); expected {run.prediction_path(missing[0])}. '
                    f'Pass stems that exist there (e.g. {example}), without the extension.')
        return list(images)
    common = sorted(set.intersection(*available))
    if not common:
        folders = ', '.join(run.predictions for run in runs)
        raise GridInputError(f'no image stem has a predicted mask in every predictions folder '
                             f'({folders}); re-run tools/test.py --pred-dir on the same test '
                             'set for every work dir.')
    return spread_evenly(common, num_images)


def _read(path: str, flags: int, what: str, stem: str) -> np.ndarray:
    """cv2.imread that fails with the path and the stem it was looked up for."""
    if not osp.isfile(path):
        raise GridInputError(f'{what} of {stem!r} not found: {path} does not exist. Check that '
                             f'the file was not moved, or pick other images (--images).')
    array = cv2.imread(path, flags)
    if array is None:
        raise GridInputError(f'{what} {path} could not be read as an image.')
    return array


def load_grid_rows(
        runs: Sequence[RunRecord],
        stems: Sequence[str]) -> Tuple[List[np.ndarray], List[np.ndarray], List[List[np.ndarray]]]:
    """(images, ground truths, predictions[method][row]) of ``stems``; image and GT paths come
    from the first run. Predictions must have the ground truth's size."""
    images, gts = [], []
    predictions: List[List[np.ndarray]] = [[] for _ in runs]
    first = runs[0]
    for stem in stems:
        images.append(_read(first.image_path(stem), cv2.IMREAD_COLOR, 'test image', stem))
        gt = _read(first.ground_truth_path(stem), cv2.IMREAD_GRAYSCALE, 'ground-truth mask', stem)
        gts.append(gt)
        for masks, run in zip(predictions, runs):
            path = run.prediction_path(stem)
            pred = _read(path, cv2.IMREAD_GRAYSCALE, 'predicted mask', stem)
            if pred.shape != gt.shape:
                raise GridInputError(
                    f'predicted mask {path} is {pred.shape[1]}x{pred.shape[0]} but the ground '
                    f'truth {first.ground_truth_path(stem)} is {gt.shape[1]}x{gt.shape[0]}; '
                    'predictions must be at the original image size (re-run tools/test.py '
                    '--pred-dir on this test set).')
            masks.append(pred)
    return images, gts, predictions
