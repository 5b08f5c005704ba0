"""KShotDataset: K seeded training images per class (few-shot prompt learning, CoOp's protocol).

Wraps any classification data set config. Each class's images are shuffled
once with ``seed`` and the first ``shots`` are kept, so with one seed the
1-shot set lies inside the 2-shot set, and so on (K = 1, 2, 4, 8, 16).
"""
from typing import List

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import MMLogger
from mmpretrain.registry import DATASETS


def k_shot_indices(labels: List[int], shots: int, seed: int = 0) -> List[int]:
    """Sorted indices of ``shots`` items per class (a class with fewer keeps all, warned)."""
    if int(shots) < 1:
        raise ValueError(f'shots must be >= 1, got {shots}')
    rng = np.random.default_rng(seed)
    keep = []
    for label in sorted(set(labels)):
        members = [i for i, value in enumerate(labels) if value == label]
        if len(members) < shots:
            MMLogger.get_current_instance().warning(
                f'KShotDataset: class {label} has only {len(members)} images for {shots} shots')
        keep.extend(members[i] for i in rng.permutation(len(members))[:shots])
    return sorted(keep)


@DATASETS.register_module()
class KShotDataset:
    """``shots`` images per class of ``dataset`` (a config dict or a built data set)."""

    def __init__(self, dataset, shots: int, seed: int = 0) -> None:
        built = DATASETS.build(dataset) if isinstance(dataset, dict) else dataset
        self.dataset: BaseDataset = built
        self.shots, self.seed = int(shots), int(seed)
        labels = [int(self.dataset.get_data_info(i)['gt_label']) for i in range(len(self.dataset))]
        self.indices = k_shot_indices(labels, self.shots, self.seed)
        self.metainfo = self.dataset.metainfo
        MMLogger.get_current_instance().info(
            f'KShotDataset: {self.shots} shots per class (seed {self.seed}): {len(self.indices)} '
            f'of {len(labels)} images')

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> dict:
        return self.dataset[self.indices[index]]

    def get_data_info(self, index: int) -> dict:
        return self.dataset.get_data_info(self.indices[index])
