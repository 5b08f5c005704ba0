"""Seeded, reproducible train/val/test splits shared by segmentation and classification.

The split of a key depends only on the seed, the ratios, the set of keys and
their strata, never on discovery order, so converting the same release twice
(or reading ``labels.csv`` for classification) gives the same split.
"""
import random
from collections import defaultdict
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

SPLITS = ('train', 'val', 'test')
RANDOM_8_1_1 = (0.8, 0.1, 0.1)
TRAIN_VAL_8_2 = (0.8, 0.2, 0.0)  # for releases with a predefined test set

Ratios = Tuple[float, float, float]


def allocate_counts(total: int, ratios: Ratios) -> List[int]:
    """Split ``total`` items by ``ratios`` (largest remainder).

    When there are at least as many items as splits with a positive ratio, each
    such split gets one item or more (taken from the largest split).
    """
    weights = [max(float(r), 0.0) for r in ratios]
    if sum(weights) <= 0:
        raise ValueError(f'split ratios must have a positive sum, got {ratios}')
    exact = [total * w / sum(weights) for w in weights]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in by_remainder[:total - sum(counts)]:
        counts[i] += 1
    positive = [i for i, w in enumerate(weights) if w > 0]
    if total >= len(positive):
        for i in positive:
            if counts[i] == 0:
                counts[max(range(len(counts)), key=lambda j: counts[j])] -= 1
                counts[i] = 1
    return counts


def assign_splits(keys: Sequence[str],
                  seed: int,
                  ratios: Ratios = RANDOM_8_1_1,
                  strata: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """Map every key to 'train', 'val' or 'test'.

    Keys are shuffled per stratum (e.g. benign/malignant) with an RNG seeded by
    ``seed`` and the stratum name, then cut by ``allocate_counts``, so every
    stratum is split by the same ratios.
    """
    by_stratum: Dict[str, List[str]] = defaultdict(list)
    for key in sorted(set(keys)):
        by_stratum[strata.get(key, '') if strata else ''].append(key)
    result: Dict[str, str] = {}
    for stratum, members in sorted(by_stratum.items()):
        random.Random(f'{seed}:{stratum}').shuffle(members)
        start = 0
        for split, count in zip(SPLITS, allocate_counts(len(members), ratios)):
            for key in members[start:start + count]:
                result[key] = split
            start += count
    return result
