"""ROC AUC against hand-computed values, ties, and the single-class case."""
import numpy as np
import pytest

from mmseg_ht.classification.roc_auc import UndefinedAUCError, average_ranks, roc_auc


def pairwise_auc(scores, truth):
    """P(score_pos > score_neg) + 0.5 P(tie), by counting every pair."""
    scores, truth = np.asarray(scores, float), np.asarray(truth, bool)
    pos, neg = scores[truth][:, None], scores[~truth][None, :]
    return float(((pos > neg) + 0.5 * (pos == neg)).mean())


@pytest.mark.parametrize(
    'scores, truth, expected',
    [
        ([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1], 0.75),  # sklearn's documented example
        ([0.2, 0.3, 0.7, 0.9], [0, 0, 1, 1], 1.0),  # perfect ranking
        ([0.9, 0.7, 0.3, 0.2], [0, 0, 1, 1], 0.0),  # inverted
        ([0.5, 0.5, 0.5, 0.9], [0, 1, 0, 1], 0.75),  # tie: 2 half pairs + 2 wins of 4
        ([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1], 0.5),  # all tied
        ([0.3, 0.6, 0.6, 0.6, 0.1], [1, 0, 1, 1, 0], 4 / 6),  # 0.3>0.1; 0.6 vs 0.6 ties
    ])
def test_hand_computed_values(scores, truth, expected):
    assert roc_auc(scores, truth) == pytest.approx(expected)


def test_matches_pairwise_definition_with_many_ties():
    rng = np.random.default_rng(0)
    for _ in range(20):
        scores = rng.integers(0, 6, size=60) / 5.0  # few distinct values: many ties
        truth = rng.random(60) < 0.4
        assert roc_auc(scores, truth) == pytest.approx(pairwise_auc(scores, truth))


def test_average_ranks_share_the_mean_rank():
    np.testing.assert_allclose(
        average_ranks(np.array([3.0, 1.0, 3.0, 2.0, 3.0])), [4.0, 1.0, 4.0, 2.0, 4.0])


@pytest.mark.parametrize('truth', [[1, 1, 1], [0, 0, 0]])
def test_single_class_ground_truth_is_a_clear_error(truth):
    with pytest.raises(UndefinedAUCError, match='one class only'):
        roc_auc([0.2, 0.5, 0.9], truth)


def test_bad_inputs():
    with pytest.raises(ValueError, match='3 scores but 2 labels'):
        roc_auc([0.1, 0.2, 0.3], [0, 1])
    with pytest.raises(ValueError, match='NaN'):
        roc_auc([0.1, float('nan')], [0, 1])
