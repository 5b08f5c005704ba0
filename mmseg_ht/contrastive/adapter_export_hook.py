"""AdapterExportHook: write adapter-only safetensors files during training.

``adapters_last.safetensors`` at the end of training and
``adapters_best.safetensors`` whenever the watched validation metric
improves, in the work dir (plus ``*_text.safetensors`` for a LoRA text
tower). A few MB each instead of the full checkpoint.
"""
import os.path as osp
from typing import Dict, Optional

from mmengine.dist import master_only
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS

from mmseg_ht.models.adapters import export_adapters, export_metadata


@HOOKS.register_module()
class AdapterExportHook(Hook):
    """Export the adapters of ``model.backbone`` (and ``model.text_encoder``).

    Args:
        save_best: metric whose improvement triggers ``adapters_best``; None
            exports only at the end.
        rule: 'greater' or 'less'.
        out_dir: folder for the files (default: the work dir).
        export_last: write ``adapters_last`` after training.
    """

    priority = 'LOW'

    def __init__(self,
                 save_best: Optional[str] = 'retrieval/mean_R',
                 rule: str = 'greater',
                 out_dir: Optional[str] = None,
                 export_last: bool = True) -> None:
        if rule not in ('greater', 'less'):
            raise ValueError(f'rule must be "greater" or "less", got {rule!r}')
        self.save_best, self.rule, self.out_dir = save_best, rule, out_dir
        self.export_last = export_last
        self.best: Optional[float] = None

    def _export(self, runner, tag: str, extra: Dict[str, object]) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        metadata = export_metadata(
            runner.cfg.model.get('backbone', {}),
            runner.cfg.model.get('text_encoder'),
            osp.basename(runner.cfg.filename or ''),
            iteration=runner.iter,
            **extra)
        path = osp.join(self.out_dir or runner.work_dir, f'adapters_{tag}.safetensors')
        files = export_adapters(model.backbone, path, getattr(model, 'text_encoder', None),
                                metadata)
        print_log(f'AdapterExportHook: wrote {", ".join(str(f) for f in files)}', logger='current')

    @master_only
    def after_val_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        if not self.save_best or not metrics or self.save_best not in metrics:
            return
        value = float(metrics[self.save_best])
        better = (
            self.best is None
            or (value > self.best if self.rule == 'greater' else value < self.best))
        if better:
            self.best = value
            self._export(runner, 'best', {self.save_best: value})

    @master_only
    def after_train(self, runner) -> None:
        if self.export_last:
            self._export(runner, 'last', {})
