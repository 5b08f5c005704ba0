"""Few-shot subsets of a training split: a seeded, optionally class-stratified fraction.

The paper's few-shot study trains on 1, 2, 5, 10, 20, 35 and 50 % of the
training split. ``few_shot_indices`` picks that fraction deterministically:
each stratum (class) is shuffled once with ``seed`` and its first
``max(1, round(ratio * n))`` items are kept, so a smaller ratio's subset is
contained in a larger one's (same seed) and every class keeps a sample.
"""
from typing import Hashable, List, Optional, Sequence

import numpy as np
from mmengine.logging import MMLogger

PAPER_RATIOS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5)


def check_ratio(ratio: float) -> float:
    """``ratio`` as a float in (0, 1]; a clear error for percentages or out-of-range values."""
    try:
        value = float(ratio)
    except (TypeError, ValueError):
        raise ValueError(f'ratio must be a number in (0, 1], got {ratio!r}') from None
    if not 0.0 < value <= 1.0:
        hint = (f' (for {value:g} % write ratio={value / 100:g})' if 1.0 < value <= 100.0 else '')
        raise ValueError(f'ratio is the fraction of the training split to keep, in (0, 1]; '
                         f'got {ratio!r}{hint}')
    return value


def few_shot_indices(num_items: int,
                     ratio: float,
                     seed: int = 0,
                     strata: Optional[Sequence[Hashable]] = None) -> List[int]:
    """Sorted indices of the items to keep for a ``ratio`` subset of ``num_items`` items.

    Args:
        num_items: size of the full split.
        ratio: fraction to keep, in (0, 1]; 1 keeps everything.
        seed: seed of the shuffle (the same seed always gives the same subset).
        strata: one label per item (e.g. the class); each stratum keeps
            ``max(1, round(ratio * its size))`` items. None: one stratum.
    """
    ratio = check_ratio(ratio)
    if strata is None:
        strata = [0] * num_items
    if len(strata) != num_items:
        raise ValueError(f'{len(strata)} strata labels for {num_items} items')
    if ratio == 1.0:
        return list(range(num_items))
    members = {}
    for index, label in enumerate(strata):
        members.setdefault(label, []).append(index)
    rng = np.random.default_rng(seed)
    keep = []
    for label in sorted(
            members, key=repr):  # fixed order: the rng draws do not depend on dict order
        indices = members[label]
        count = max(1, int(round(ratio * len(indices))))
        order = rng.permutation(len(indices))
        keep.extend(indices[i] for i in order[:count])
    return sorted(keep)


class FewShotMixin:
    """Adds ``ratio``/``ratio_seed`` to an mmengine dataset: keep a seeded fraction of it.

    ``ratio`` (default 1.0, everything) is set on the training set, e.g.
    ``--cfg-options train_dataloader.dataset.ratio=0.05``. Subclasses may
    override ``few_shot_strata`` to stratify (classification: by class).
    """

    def _init_few_shot(self, ratio: float, ratio_seed: int) -> None:
        self.ratio = check_ratio(ratio)
        self.ratio_seed = int(ratio_seed)
        self.full_size: Optional[int] = None

    def few_shot_strata(self, data_list: List[dict]) -> Optional[List[Hashable]]:
        """One stratum label per sample; None means no stratification."""
        return None

    def apply_few_shot(self, data_list: List[dict]) -> List[dict]:
        """The ``ratio`` subset of ``data_list`` (all of it when ratio is 1), logged."""
        self.full_size = len(data_list)
        if self.ratio == 1.0:
            return data_list
        keep = few_shot_indices(
            len(data_list), self.ratio, self.ratio_seed, self.few_shot_strata(data_list))
        MMLogger.get_current_instance().info(
            f'{type(self).__name__}: few-shot ratio {self.ratio:g} (seed {self.ratio_seed}): '
            f'{len(keep)} of {len(data_list)} samples of {self.data_prefix.get("img_path")}')
        return [data_list[i] for i in keep]
