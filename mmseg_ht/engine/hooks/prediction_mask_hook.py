"""Test-time hook saving every predicted mask as a 0/1 PNG (figures, re-scoring, reports)."""
import os
import os.path as osp
from typing import Optional, Sequence

from mmengine.hooks import Hook
from mmseg.registry import HOOKS
from mmseg.structures import SegDataSample

from ...evaluation.prediction_png import save_prediction_png
from .error_overlay_hook import _label_map


@HOOKS.register_module()
class PredictionMaskHook(Hook):
    """Write ``<out_dir>/<image stem>.png`` (uint8, 0 background / 1 lesion) per test image.

    Masks are ``pred_sem_seg`` at the original image size (mmseg resizes test
    predictions back), so they pair with the data set's ground-truth files.
    ``tools/analysis/visualize.py grid`` reads them.

    Args:
        out_dir: Output folder (absolute, or relative to ``runner.work_dir``).
        foreground_index: Class index written as 1.
    """

    priority = 'NORMAL'

    def __init__(self, out_dir: str = 'predictions', foreground_index: int = 1) -> None:
        self.out_dir = out_dir
        self.foreground_index = foreground_index
        self._folder: Optional[str] = None
        self._written = 0

    def before_test_epoch(self, runner) -> None:
        """Create the output folder and start counting."""
        self._folder = self.out_dir if osp.isabs(self.out_dir) else osp.join(
            runner.work_dir, self.out_dir)
        os.makedirs(self._folder, exist_ok=True)
        self._written = 0

    def after_test_iter(self,
                        runner,
                        batch_idx: int,
                        data_batch: Optional[dict] = None,
                        outputs: Optional[Sequence[SegDataSample]] = None) -> None:
        """Save the masks of this batch, named after their images."""
        for index, sample in enumerate(outputs or ()):
            if 'pred_sem_seg' not in sample:
                continue
            mask = _label_map(sample.pred_sem_seg) == self.foreground_index
            save_prediction_png(mask, self._folder, sample.get('img_path'),
                                f'batch{batch_idx:05d}_{index}', 'PredictionMaskHook')
            self._written += 1

    def after_test_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        """Report how many masks were written and where."""
        runner.logger.info(f'PredictionMaskHook: {self._written} predicted masks saved to '
                           f'{self._folder}')
