"""Configs for tools that only test a model (no training or validation parts)."""
import copy

from mmengine.config import Config

TRAIN_AND_VAL_KEYS = ('train_dataloader', 'train_cfg', 'optim_wrapper', 'param_scheduler',
                      'val_dataloader', 'val_cfg', 'val_evaluator')


def without_training(cfg: Config) -> Config:
    """A copy of ``cfg`` without training and validation settings.

    mmengine's Runner wants the train (and val) settings all or none; a tool
    that only tests drops them.
    """
    cfg = copy.deepcopy(cfg)
    for key in TRAIN_AND_VAL_KEYS:
        cfg.pop(key, None)
    return cfg
