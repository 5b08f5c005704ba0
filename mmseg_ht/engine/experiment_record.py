"""What a test run was: method, backbone, data set, few-shot ratio, seed and data paths.

``tools/test.py`` stores this beside the metrics in ``test_results.json`` so
that ``tools/analysis/collect_results.py`` can build the paper's tables and
``tools/analysis/visualize.py`` can find the images of a run without
re-reading configs. The labels come from the configs' ``method_name``,
``backbone_name`` and ``dataset_name`` (set by the ``_base_`` files).
"""
import json
import os.path as osp
from typing import Any, Dict, Mapping, Optional

from mmengine.config import Config

RESULTS_FILE = 'test_results.json'


def _absolute(root: str, prefix: Optional[str]) -> Optional[str]:
    """``prefix`` joined to ``root`` (as mmengine's datasets do), made absolute."""
    if not prefix:
        return None
    return osp.abspath(prefix if osp.isabs(prefix) or not root else osp.join(root, prefix))


def experiment_labels(cfg: Config, config_path: str) -> Dict[str, Any]:
    """Table labels and few-shot settings of a config (the config file name where unnamed)."""
    stem = osp.splitext(osp.basename(config_path))[0]
    train_set = cfg.get('train_dataloader', {}).get('dataset',
                                                    {}) if cfg.get('train_dataloader') else {}
    randomness = cfg.get('randomness') or {}
    task = 'segmentation' if cfg.get('default_scope', 'mmseg') == 'mmseg' else 'classification'
    return dict(
        method=cfg.get('method_name', stem),
        backbone=cfg.get('backbone_name', '-'),
        dataset=cfg.get('dataset_name', '-'),
        task=task,
        ratio=float(train_set.get('ratio', 1.0)),
        ratio_seed=int(train_set.get('ratio_seed', 0)),
        seed=randomness.get('seed'),
        config_name=stem)


def evaluated_data_paths(cfg: Config) -> Dict[str, Any]:
    """Absolute folders of the test images and masks (masks: None for classification)."""
    dataset = cfg.test_dataloader.dataset
    root = dataset.get('data_root', '') or ''
    prefix = dataset.get('data_prefix', {}) or {}
    return dict(
        data_root=osp.abspath(root) if root else None,
        img_dir=_absolute(root, prefix.get('img_path')),
        ann_dir=_absolute(root, prefix.get('seg_map_path')),
        img_suffix=dataset.get('img_suffix', '.png'),
        seg_map_suffix=dataset.get('seg_map_suffix', '.png'))


def write_test_results(work_dir: str,
                       config_path: str,
                       checkpoint: Optional[str],
                       labels: Dict[str, Any],
                       test_cfg: Config,
                       metrics: Mapping[str, float],
                       predictions: Optional[str] = None,
                       **extra: Any) -> str:
    """Write ``<work_dir>/test_results.json`` (what was tested and its metrics); return its path.

    ``labels`` come from ``experiment_labels`` of the config as trained (few-shot
    ratio included); ``test_cfg`` gives the evaluated data folders; ``extra``
    adds entries (e.g. the reference bank of a retrieval test).
    """
    record = dict(
        config=config_path,
        checkpoint=checkpoint,
        **extra,
        experiment=labels,
        data=evaluated_data_paths(test_cfg),
        predictions=osp.abspath(predictions) if predictions else None,
        metrics={
            k: float(v)
            for k, v in metrics.items()
        })
    path = osp.join(work_dir, RESULTS_FILE)
    with open(path, 'w') as handle:
        json.dump(record, handle, indent=2)
    return path
