"""Classification through mmpretrain: data sets, head, metrics and zero-shot.

Importing this package registers, in mmpretrain's registries:
``UltrasoundClsDataset``/``BUSIClsDataset``/``LNClsDataset`` (labels from the
converters' labels.csv), ``MultiLevelClsHead``, ``BinaryClsMetric``,
``PromptEnsembleClassifier`` (zero-shot), and — under their mmseg names —
``CLIPViT`` and ``WeightsOnlyCheckpointHook``.
"""
from . import registration  # noqa: F401  (first: CLIPViT/hook in mmpretrain's registries)
from .dataset import BUSIClsDataset, LNClsDataset, UltrasoundClsDataset
from .head import MultiLevelClsHead
from .labels_csv import LabelsFileError, read_labels_csv
from .metric import BinaryClsMetric, binary_classification_metrics
from .prompts import bundled_prompt_sets, load_prompt_ensemble
from .roc_auc import UndefinedAUCError, roc_auc
from .zero_shot import RULES, PromptEnsembleClassifier, class_scores

__all__ = [
    'BUSIClsDataset', 'BinaryClsMetric', 'LNClsDataset', 'LabelsFileError', 'MultiLevelClsHead',
    'PromptEnsembleClassifier', 'RULES', 'UltrasoundClsDataset', 'UndefinedAUCError',
    'binary_classification_metrics', 'bundled_prompt_sets', 'class_scores', 'load_prompt_ensemble',
    'read_labels_csv', 'roc_auc'
]
