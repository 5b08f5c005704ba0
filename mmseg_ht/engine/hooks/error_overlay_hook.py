"""Test-time hook writing TP / FP / FN error overlays (see ``draw_error_overlay``) per image."""
import os.path as osp
from typing import Optional, Sequence

import cv2
import mmcv
import mmengine.fileio as fileio
import numpy as np
from mmengine.hooks import Hook
from mmseg.registry import HOOKS
from mmseg.structures import SegDataSample

from ...visualization.error_overlay import draw_error_overlay

DEFAULT_SUBDIR = 'error_overlays'


def _label_map(pixel_data) -> np.ndarray:
    """(H, W) integer array from a ``PixelData`` holding a (1, H, W) tensor or array."""
    data = pixel_data.data
    if hasattr(data, 'detach'):
        data = data.detach().cpu().numpy()
    data = np.asarray(data)
    return data[0] if data.ndim == 3 else data


def _resize_nearest(mask: np.ndarray, shape: Sequence[int]) -> np.ndarray:
    """Boolean mask resized (nearest neighbour) to (H, W) ``shape`` if it does not fit already."""
    if mask.shape != tuple(shape):
        mask = cv2.resize(
            mask.astype(np.uint8), (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST)
    return mask.astype(bool)


@HOOKS.register_module()
class ErrorOverlayHook(Hook):
    """Save ``<out_dir>/<image stem>.png`` with TP/FP/FN colours for every tested image.

    Predictions are those of ``SegDataSample.pred_sem_seg`` (already at the original
    image size in test mode); ground truth, if loaded, comes from ``gt_sem_seg``.

    Args:
        out_dir: Output folder; relative paths (and the default ``error_overlays``)
            are placed under ``<runner.work_dir>/<runner.timestamp>``.
        interval: Draw the outputs of every ``interval``-th test iteration.
        alpha: Opacity of the TP/FP/FN tint.
        foreground_index: Class index counted as lesion in predictions and labels.
        backend_args: mmengine file backend arguments for reading the images.
    """

    priority = 'NORMAL'

    def __init__(self,
                 out_dir: Optional[str] = None,
                 interval: int = 1,
                 alpha: float = 0.45,
                 foreground_index: int = 1,
                 backend_args: Optional[dict] = None) -> None:
        if interval < 1:
            raise ValueError(f'interval must be >= 1, got {interval}')
        self.out_dir = out_dir
        self.interval = interval
        self.alpha = alpha
        self.foreground_index = foreground_index
        self.backend_args = backend_args.copy() if backend_args else None
        self._folder: Optional[str] = None
        self._written = 0

    def resolve_out_dir(self, runner) -> str:
        """Absolute output folder: ``out_dir`` if absolute, else under work_dir/timestamp."""
        out_dir = self.out_dir or DEFAULT_SUBDIR
        if osp.isabs(out_dir):
            return out_dir
        return osp.join(runner.work_dir, runner.timestamp, out_dir)

    def before_test_epoch(self, runner) -> None:
        """Fix the output folder and start counting the overlays of this test run."""
        self._folder = self.resolve_out_dir(runner)
        self._written = 0

    def after_test_iter(self,
                        runner,
                        batch_idx: int,
                        data_batch: Optional[dict] = None,
                        outputs: Optional[Sequence[SegDataSample]] = None) -> None:
        """Draw and save the overlays of every ``interval``-th batch."""
        if not outputs or not self.every_n_inner_iters(batch_idx, self.interval):
            return
        if self._folder is None:
            self._folder = self.resolve_out_dir(runner)
        for index, sample in enumerate(outputs):
            if 'pred_sem_seg' in sample:
                self._save(sample, f'batch{batch_idx:05d}_{index}')

    def after_test_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        """Report how many overlays were written and where."""
        folder = self._folder or self.resolve_out_dir(runner)
        runner.logger.info(f'ErrorOverlayHook: {self._written} error overlays saved to {folder}')

    def _save(self, sample: SegDataSample, fallback_stem: str) -> None:
        """Render one sample's overlay and write it as PNG."""
        pred = _label_map(sample.pred_sem_seg) == self.foreground_index
        gt = None
        if 'gt_sem_seg' in sample:
            gt = _resize_nearest(_label_map(sample.gt_sem_seg) == self.foreground_index, pred.shape)
        img_path = sample.get('img_path')
        image = self._read_image(img_path, pred.shape)
        stem = osp.splitext(osp.basename(img_path))[0] if img_path else fallback_stem
        overlay = draw_error_overlay(image, pred, gt, alpha=self.alpha)
        mmcv.imwrite(overlay, osp.join(self._folder, f'{stem}.png'), backend_args=self.backend_args)
        self._written += 1

    def _read_image(self, img_path: Optional[str], shape: Sequence[int]) -> np.ndarray:
        """Original BGR image resized to the prediction size; mid-grey when there is no path."""
        if not img_path:
            return np.full((*shape, 3), 128, dtype=np.uint8)
        image = mmcv.imfrombytes(fileio.get(img_path, backend_args=self.backend_args), flag='color')
        if image.shape[:2] != tuple(shape):
            image = cv2.resize(image, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)
        return image
