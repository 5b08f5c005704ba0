"""``SurfaceMetric``: per-image Dice, IoU, HD95 and ASD for binary lesion segmentation in mmseg.

mmseg's ``IoUMetric`` pools pixel counts over the whole dataset; lesion papers report the mean
of per-image scores plus boundary distances, with an explicit rule for images where the
prediction or the ground truth is empty. This metric does that (see ``surface_distance``).
"""
import csv
import logging
import math
import os.path as osp
from collections import Counter
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from mmengine.structures import BaseDataElement
from mmengine.utils import mkdir_or_exist
from mmseg.registry import METRICS
from prettytable import PrettyTable

from .prediction_png import save_prediction_png
from .surface_distance import (ImageScores, SpacingLike, binary_masks, check_empty_policy,
                               normalize_spacing, score_image, summarize_scores)

CSV_COLUMNS = ('filename', 'Dice', 'IoU', 'HD95', 'ASD', 'empty_gt', 'empty_pred', 'unit')
DISTANCE_UNITS = ('mm', 'px')


@METRICS.register_module()
class SurfaceMetric(BaseMetric):
    """Mean per-image Dice and IoU (percent, 0-100, like mmseg's IoUMetric) and HD95/ASD.

    HD95 and ASD follow MONAI's definitions (``compute_hausdorff_distance(percentile=95)`` and
    ``compute_average_surface_distance(symmetric=False)``), in pixels, or in mm when a spacing
    is known: a sample's ``spacing`` metainfo (set by the data set from the ``spacing.csv``
    the converters write from DICOM/NIfTI headers) wins over the ``spacing`` argument. The
    unit is stated in the logged table (``HD95 (mm)``), ``n_spacing_mm`` counts the images
    in mm, and a mix of images with and without spacing is reported per unit
    (``HD95_mm``/``HD95_px``...), never averaged together.

    Empty masks (where MONAI gives NaN/inf and images tend to be silently dropped):

    * ``empty_policy='penalize'`` (default): both empty -> Dice = IoU = 100, HD95 = ASD = 0;
      exactly one empty (missed lesion or false alarm) -> Dice = IoU = 0 and HD95 = ASD = the
      image diagonal, the largest distance possible in that image.
    * ``empty_policy='exclude'``: Dice/IoU as above, but every image with an empty prediction
      or ground truth is left out of the HD95/ASD means (MONAI's behaviour), and counted.

    Results always include ``n_images``, ``n_empty_gt``, ``n_empty_pred`` (both counts include
    the ``n_both_empty`` images) and ``n_distance_excluded``.

    Args:
        empty_policy: ``'penalize'`` or ``'exclude'``, see above.
        symmetric_asd: ASD over both directions pooled instead of prediction -> ground truth.
        spacing: default pixel spacing ``(sy, sx)`` (or a scalar) for samples without one.
        fg_index: class index of the lesion in the label maps.
        ignore_index: ground-truth label removed from both masks (treated as background), so
            Dice/IoU exclude those pixels exactly as IoUMetric does. None disables it.
        per_image_csv: optional path of a CSV with one row per image
            (filename, Dice, IoU, HD95, ASD, empty_gt, empty_pred, unit; blank distances =
            excluded).
        output_dir: optional folder for every predicted mask as ``<image stem>.png`` (uint8,
            1 = class ``fg_index``), what mmseg's ``IoUMetric`` writes for
            ``tools/test.py --out DIR`` and ``analysis_tools/confusion_matrix.py`` reads.
        keep_results: accepted because mmseg's ``tools/test.py --out`` passes it (IoUMetric
            ignores it too); no effect.
        collect_device: device used to gather results across processes, 'cpu' or 'gpu'.
        prefix: prefix added to the metric names by mmengine.
    """

    def __init__(self,
                 empty_policy: str = 'penalize',
                 symmetric_asd: bool = False,
                 spacing: SpacingLike = None,
                 fg_index: int = 1,
                 ignore_index: Optional[int] = 255,
                 per_image_csv: Optional[str] = None,
                 output_dir: Optional[str] = None,
                 keep_results: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 **kwargs) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, **kwargs)
        check_empty_policy(empty_policy)
        self.empty_policy = empty_policy
        self.symmetric_asd = symmetric_asd
        self.spacing = normalize_spacing(spacing)
        self.fg_index = fg_index
        self.ignore_index = ignore_index
        self.per_image_csv = per_image_csv
        del keep_results  # see Args
        self.output_dir = output_dir
        if output_dir:
            mkdir_or_exist(output_dir)

    def process(self, data_batch: Any, data_samples: Sequence[Union[dict,
                                                                    BaseDataElement]]) -> None:
        """Score each sample right away and keep only its few numbers (never the masks)."""
        for data_sample in data_samples:
            if isinstance(data_sample, BaseDataElement):
                data_sample = data_sample.to_dict()
            self.results.append(self._score_sample(data_sample))

    def _score_sample(self, data_sample: dict) -> dict:
        """Per-image result dict of one (dict-form) SegDataSample."""
        filename = osp.basename(data_sample.get('img_path') or '')
        if 'gt_sem_seg' not in data_sample:
            raise ValueError(f'SurfaceMetric needs the ground truth (gt_sem_seg) of image '
                             f'{filename or "<no img_path>"!r}; it cannot run on unlabelled '
                             'test sets')
        pred_label = _label_map(data_sample['pred_sem_seg']['data'], 'pred_sem_seg')
        if self.output_dir:
            save_prediction_png(pred_label == self.fg_index, self.output_dir,
                                data_sample.get('img_path'), f'image{len(self.results):05d}',
                                'SurfaceMetric')
        gt_label = _label_map(data_sample['gt_sem_seg']['data'], 'gt_sem_seg')
        if pred_label.shape != gt_label.shape:
            raise ValueError(f'pred_sem_seg shape {pred_label.shape} does not match gt_sem_seg '
                             f'shape {gt_label.shape} for image {filename or "<no img_path>"!r}')
        pred, gt = binary_masks(pred_label, gt_label, self.fg_index, self.ignore_index)
        sample_spacing = data_sample.get('spacing')
        spacing = (
            self.spacing if sample_spacing is None else normalize_spacing(
                _to_numpy(sample_spacing)))
        scores = score_image(pred, gt, spacing, self.empty_policy, self.symmetric_asd)
        return dict(filename=filename, unit='px' if spacing is None else 'mm', **scores.as_dict())

    def compute_metrics(self, results: List[dict]) -> Dict[str, Union[float, int]]:
        """Means over images (Dice/IoU in percent) and empty-mask counts; logs a table.

        ``n_spacing_mm`` counts the images whose distances are in mm. When only some
        images have a spacing, HD95/ASD are not averaged across units: ``HD95_mm``/
        ``ASD_mm`` and ``HD95_px``/``ASD_px`` are the means of each group, and a warning
        names images without spacing.
        """
        summary = self._summarize(results)
        units = Counter(r['unit'] for r in results)
        if len(units) > 1:
            summary = self._split_by_unit(summary, results)
        summary['n_spacing_mm'] = units['mm']
        self._log_table(summary, 'mixed' if len(units) > 1 else (next(iter(units), 'px')))
        if self.per_image_csv:
            write_per_image_csv(results, self.per_image_csv)
        return summary

    @staticmethod
    def _summarize(results: List[dict]) -> Dict[str, Union[float, int]]:
        """``summarize_scores`` of per-image results, Dice/IoU in percent."""
        summary = summarize_scores(
            ImageScores(**{k: r[k]
                           for k in ImageScores.__dataclass_fields__}) for r in results)
        summary['Dice'] *= 100.0
        summary['IoU'] *= 100.0
        return summary

    def _split_by_unit(self, summary: Dict[str, Union[float, int]],
                       results: List[dict]) -> Dict[str, Union[float, int]]:
        """``summary`` with HD95/ASD replaced by their means over the mm and the px images."""
        split: Dict[str, Union[float, int]] = dict(Dice=summary['Dice'], IoU=summary['IoU'])
        for unit in DISTANCE_UNITS:
            part = self._summarize([r for r in results if r['unit'] == unit])
            split[f'HD95_{unit}'], split[f'ASD_{unit}'] = part['HD95'], part['ASD']
        split.update({k: v for k, v in summary.items() if k not in {*split, 'HD95', 'ASD'}})
        without = [r['filename'] for r in results if r['unit'] == 'px']
        print_log(
            f'SurfaceMetric: {len(without)} of {len(results)} images have no pixel '
            f'spacing (e.g. {", ".join(without[:3])}), the others are in mm: HD95/ASD are '
            'reported per unit (HD95_mm/HD95_px, ASD_mm/ASD_px), not averaged together. '
            'Give SurfaceMetric(spacing=...) for the images without one, or convert the '
            'sources with their DICOM/NIfTI headers.',
            logger=MMLogger.get_current_instance(),
            level=logging.WARNING)
        return split

    def _log_table(self, summary: Dict[str, Union[float, int]], unit: str) -> None:
        """Log the means, the counts, the distance unit and the empty policy as one table."""
        table = PrettyTable()
        for key, value in summary.items():
            header = {
                'Dice': 'Dice (%)',
                'IoU': 'IoU (%)',
                'HD95': f'HD95 ({unit})',
                'ASD': f'ASD ({unit})',
                'HD95_mm': 'HD95 (mm)',
                'ASD_mm': 'ASD (mm)',
                'HD95_px': 'HD95 (px)',
                'ASD_px': 'ASD (px)'
            }.get(key, key)
            table.add_column(header, [value if isinstance(value, int) else f'{value:.2f}'])
        asd_kind = 'symmetric' if self.symmetric_asd else 'pred->gt'
        logger: MMLogger = MMLogger.get_current_instance()
        print_log(
            f'surface metrics (empty_policy={self.empty_policy}, ASD {asd_kind}, '
            f'unit={unit}):\n{table.get_string()}',
            logger=logger)


def _to_numpy(value: Any) -> np.ndarray:
    """A tensor (any device) or array-like as a numpy array."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def _label_map(data: Any, name: str) -> np.ndarray:
    """An (H, W) label map from mmseg's ``1 x H x W`` (or ``H x W``) PixelData tensor."""
    label = _to_numpy(data)
    if label.ndim == 3 and label.shape[0] == 1:
        label = label[0]
    if label.ndim != 2:
        raise ValueError(f'{name} must be a 1 x H x W or H x W label map, got shape '
                         f'{tuple(label.shape)}')
    return label


def write_per_image_csv(results: List[dict], path: str) -> None:
    """Write one row per image (Dice/IoU in percent; blank HD95/ASD = excluded from the means;
    ``unit`` = the distance unit of that image, mm or px)."""
    directory = osp.dirname(osp.abspath(path))
    mkdir_or_exist(directory)
    with open(path, 'w', newline='') as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for r in results:
            writer.writerow([
                r['filename'], f"{100 * r['dice']:.4f}", f"{100 * r['iou']:.4f}",
                _format_distance(r['hd95']),
                _format_distance(r['asd']),
                int(r['empty_gt']),
                int(r['empty_pred']), r['unit']
            ])


def _format_distance(value: float) -> str:
    """Distance with 4 decimals, or blank when the image was excluded (NaN)."""
    return '' if math.isnan(value) else f'{value:.4f}'
