"""Binary ROC AUC from scores, with ties handled exactly like sklearn's ``roc_auc_score``.

The area under the ROC curve equals the Mann–Whitney statistic: the
probability that a random positive scores above a random negative, counting a
tie as one half. With average ranks over tied scores this is

    AUC = (sum of the positives' ranks - n_pos (n_pos + 1) / 2) / (n_pos n_neg),

which is the trapezoidal area sklearn computes (ties become diagonal steps).
Pure numpy: no sklearn dependency.
"""
from typing import Sequence, Union

import numpy as np

from mmseg_ht.utils.errors import MmsegHtError

ArrayLike = Union[np.ndarray, Sequence[float]]


class UndefinedAUCError(MmsegHtError, ValueError):
    """ROC AUC is undefined: the ground truth holds only one class."""


def average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks of ``values``; tied values share the mean of their ranks."""
    values = np.asarray(values)
    order = np.argsort(values, kind='mergesort')
    ordered = values[order]
    # Start index of every run of equal values in the sorted order.
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], len(values)]  # exclusive
    mean_rank_of_run = (starts + 1 + ends) / 2.0  # mean of ranks starts+1 .. ends
    run_lengths = ends - starts
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[order] = np.repeat(mean_rank_of_run, run_lengths)
    return ranks


def roc_auc(scores: ArrayLike, is_positive: ArrayLike) -> float:
    """Area under the ROC curve of ``scores`` for the boolean ground truth ``is_positive``.

    Raises:
        ValueError: shapes differ, inputs are empty, or scores are not finite.
        UndefinedAUCError: only positives or only negatives (as sklearn does).
    """
    scores = np.asarray(scores, dtype=np.float64).ravel()
    truth = np.asarray(is_positive).ravel().astype(bool)
    if scores.shape != truth.shape:
        raise ValueError(f'roc_auc: {scores.size} scores but {truth.size} labels')
    if scores.size == 0:
        raise ValueError('roc_auc: no samples')
    if not np.all(np.isfinite(scores)):
        raise ValueError('roc_auc: scores contain NaN or inf')
    n_pos = int(truth.sum())
    n_neg = truth.size - n_pos
    if n_pos == 0 or n_neg == 0:
        raise UndefinedAUCError(
            f'ROC AUC is undefined when the ground truth holds one class only '
            f'({n_pos} positive, {n_neg} negative samples): it needs at least one of each.')
    ranks = average_ranks(scores)
    return float((ranks[truth].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))
