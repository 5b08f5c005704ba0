"""Test helper hook: what each rank read, and its weights after training (two-node test)."""
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


@HOOKS.register_module()
class RecordRankHook(Hook):
    """Writes ``<work_dir>/rank<R>.pt``: image paths per iteration, state dicts before/after."""

    def __init__(self) -> None:
        self.seen, self.initial = [], None

    @staticmethod
    def _state(runner) -> dict:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}

    def before_train(self, runner) -> None:
        self.initial = self._state(runner)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        self.seen.append([osp.basename(s.img_path) for s in data_batch['data_samples']])

    def after_train(self, runner) -> None:
        torch.save(
            dict(
                seen=self.seen,
                state=self._state(runner),
                initial=self.initial,
                wrapper=type(runner.model).__name__,
                find_unused=getattr(runner.model, 'find_unused_parameters', None)),
            osp.join(runner.work_dir, f'rank{get_rank()}.pt'))
