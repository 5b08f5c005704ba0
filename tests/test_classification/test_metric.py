"""BinaryClsMetric: accuracy/precision/recall/F1 of the positive class and AUC, by hand."""
import math

import pytest
import torch
from mmpretrain.structures import DataSample

from mmseg_ht.classification import BinaryClsMetric, binary_classification_metrics


def scores_for(p_malignant):
    p = torch.tensor(p_malignant, dtype=torch.float32)
    return torch.stack([1 - p, p], dim=1)


# labels:   1    1    1    0    0    0    0    1      (1 = malignant)
# p(mal): 0.9  0.8  0.3  0.6  0.2  0.1  0.4  0.7  -> predicted 1 1 0 1 0 0 0 1
# TP = 3, FN = 1, FP = 1, TN = 3
LABELS = [1, 1, 1, 0, 0, 0, 0, 1]
P_MALIGNANT = [0.9, 0.8, 0.3, 0.6, 0.2, 0.1, 0.4, 0.7]


def test_hand_computed_metrics_of_the_positive_class():
    metrics = binary_classification_metrics(scores_for(P_MALIGNANT), torch.tensor(LABELS), 1)
    assert metrics['accuracy'] == pytest.approx(75.0)
    assert metrics['precision'] == pytest.approx(75.0)  # 3 / (3 + 1)
    assert metrics['recall'] == pytest.approx(75.0)  # 3 / (3 + 1)
    assert metrics['f1'] == pytest.approx(75.0)
    # pairs (pos, neg): 16; pos 0.3 beats 0.2, 0.1 only -> 2 of 4; others beat all -> 14/16
    assert metrics['auc'] == pytest.approx(100 * 14 / 16)


def test_not_macro_averaged():
    # 4 malignant, all predicted benign except one; 2 benign, both right.
    labels = torch.tensor([1, 1, 1, 1, 0, 0])
    metrics = binary_classification_metrics(scores_for([0.9, 0.2, 0.3, 0.4, 0.1, 0.2]), labels, 1)
    assert metrics['recall'] == pytest.approx(25.0)  # macro would give (25 + 100) / 2
    assert metrics['precision'] == pytest.approx(100.0)
    assert metrics['f1'] == pytest.approx(40.0)  # 2 * 1 * 0.25 / 1.25
    benign = binary_classification_metrics(scores_for([0.9, 0.2, 0.3, 0.4, 0.1, 0.2]), labels, 0)
    assert benign['recall'] == pytest.approx(100.0) and benign['precision'] == pytest.approx(40.0)


def test_no_predicted_positive_gives_zero_precision():
    metrics = binary_classification_metrics(scores_for([0.1, 0.2, 0.3]), torch.tensor([1, 0, 0]), 1)
    assert metrics['precision'] == 0.0 and metrics['recall'] == 0.0 and metrics['f1'] == 0.0
    assert metrics['auc'] == pytest.approx(0.0)


def run_metric(labels, p_malignant, batch_size=2, classes=('benign', 'malignant')):
    metric = BinaryClsMetric()
    metric.dataset_meta = dict(classes=classes)
    for start in range(0, len(labels), batch_size):
        samples = [
            DataSample().set_gt_label(label).set_pred_score(score).to_dict()
            for label, score in zip(labels[start:start + batch_size],
                                    scores_for(p_malignant[start:start + batch_size]))
        ]
        metric.process(None, samples)
    return metric.evaluate(len(labels))


def test_metric_collects_batches_including_single_class_batches():
    # batches of 2: [1,1], [1,0], [0,0], [0,1] -- the first and third hold one class only
    metrics = run_metric(LABELS, P_MALIGNANT)
    assert set(metrics) == {f'cls/{k}' for k in ('accuracy', 'precision', 'recall', 'f1', 'auc')}
    assert metrics['cls/auc'] == pytest.approx(100 * 14 / 16)
    assert metrics['cls/f1'] == pytest.approx(75.0)


def test_single_class_set_reports_nan_auc():
    metrics = run_metric([0, 0, 0], [0.2, 0.7, 0.1])
    assert math.isnan(metrics['cls/auc'])
    assert metrics['cls/accuracy'] == pytest.approx(100 * 2 / 3)
    assert metrics['cls/precision'] == 0.0  # one false positive, no true positive


def test_positive_class_by_name_must_exist():
    with pytest.raises(ValueError, match="'malignant' is not one of"):
        run_metric([0, 1], [0.2, 0.7], classes=('normal', 'abnormal'))
