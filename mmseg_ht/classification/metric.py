"""Binary classification metrics with an explicit positive class (default: malignant).

Accuracy, precision, recall and F1 come from mmpretrain (``Accuracy.calculate``
and ``SingleLabelMetric.calculate`` with ``average=None``, of which only the
positive class's entry is kept — mmpretrain's default ``average='macro'``
would average benign and malignant). ROC AUC, which mmpretrain lacks, comes
from ``roc_auc`` (sklearn-equivalent tie handling).

Conventions (all values in percent, as mmpretrain reports them):
- prediction = argmax of the class scores (for two classes: the positive
  class when its score is the larger one);
- precision/recall/F1 are 0 when undefined (no predicted positives / no
  positive ground truth), like sklearn's ``zero_division=0``;
- AUC uses the positive class's score; it is NaN, with a warning in the log,
  when the evaluated set holds a single class (``roc_auc`` raises there).
"""
import math
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmpretrain.evaluation.metrics import Accuracy, SingleLabelMetric
from mmpretrain.registry import METRICS

from .roc_auc import UndefinedAUCError, roc_auc

METRIC_NAMES = ('accuracy', 'precision', 'recall', 'f1', 'auc')


def resolve_positive_index(positive_class: Union[int, str],
                           classes: Optional[Sequence[str]]) -> int:
    """Index of the positive class, given by index or by name among ``classes``."""
    if isinstance(positive_class, int):
        if classes is not None and not 0 <= positive_class < len(classes):
            raise ValueError(f'positive_class={positive_class} is not a class index of {classes}')
        return positive_class
    if not classes:
        raise ValueError(f'positive_class={positive_class!r} is a name, but the data set gives '
                         'no class names (metainfo "classes"); give its index instead.')
    if positive_class not in classes:
        raise ValueError(f'positive_class={positive_class!r} is not one of the classes '
                         f'{tuple(classes)}')
    return list(classes).index(positive_class)


def binary_classification_metrics(scores: torch.Tensor, labels: torch.Tensor,
                                  positive_index: int) -> Dict[str, float]:
    """The five metrics (percent) from class scores (N, C) and labels (N,)."""
    scores = torch.as_tensor(scores, dtype=torch.float32)
    labels = torch.as_tensor(labels, dtype=torch.int64).flatten()
    if scores.ndim != 2 or scores.shape[0] != labels.shape[0]:
        raise ValueError(f'expected scores (N, C) and labels (N,), got {tuple(scores.shape)} '
                         f'and {tuple(labels.shape)}')
    if scores.shape[0] == 0:
        raise ValueError('no samples to evaluate')
    num_classes = scores.shape[1]
    predicted = scores.argmax(dim=1)
    accuracy = Accuracy.calculate(predicted, labels)
    precision, recall, f1, _ = SingleLabelMetric.calculate(
        predicted, labels, average=None, num_classes=num_classes)
    try:
        auc = 100.0 * roc_auc(scores[:, positive_index].numpy(), (labels == positive_index).numpy())
    except UndefinedAUCError as error:
        print_log(f'AUC reported as NaN: {error}', logger='current', level=30)
        auc = math.nan
    return dict(
        accuracy=float(accuracy.item()),
        precision=float(precision[positive_index]),
        recall=float(recall[positive_index]),
        f1=float(f1[positive_index]),
        auc=auc)


@METRICS.register_module()
class BinaryClsMetric(BaseMetric):
    """Accuracy, precision, recall, F1 (of ``positive_class``) and ROC AUC, in percent.

    Args:
        positive_class: class name (looked up in the data set's ``classes``)
            or index. Defaults to 'malignant'.
        prefix: key prefix, e.g. ``cls/f1``.
    """

    default_prefix: Optional[str] = 'cls'

    def __init__(self,
                 positive_class: Union[int, str] = 'malignant',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.positive_class = positive_class

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'pred_score' not in sample:
                raise KeyError('BinaryClsMetric needs class scores (pred_score) to compute AUC')
            self.results.append(
                dict(
                    score=sample['pred_score'].detach().cpu().float(),
                    label=sample['gt_label'].detach().cpu().flatten()))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        classes = (self.dataset_meta or {}).get('classes')
        positive = resolve_positive_index(self.positive_class, classes)
        scores = torch.stack([r['score'] for r in results])
        labels = torch.cat([r['label'] for r in results])
        return binary_classification_metrics(scores, labels, positive)


def format_metrics(metrics: Dict[str, float]) -> str:
    """One line 'accuracy 81.25 | precision ... ' for logs and tools."""
    return ' | '.join(f'{k.split("/")[-1]} {v:.2f}' if np.isfinite(v) else f'{k.split("/")[-1]} nan'
                      for k, v in metrics.items())
