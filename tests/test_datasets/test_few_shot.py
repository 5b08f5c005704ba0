"""Few-shot subsets (``ratio``): deterministic, nested, stratified, never empty."""
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest

from mmseg_ht.datasets import BUSIDataset
from mmseg_ht.datasets.few_shot import PAPER_RATIOS, check_ratio, few_shot_indices
from tests.test_classification.test_dataset import make_converted


def test_same_seed_same_subset_other_seed_other_subset():
    first = few_shot_indices(500, 0.1, seed=3)
    assert first == few_shot_indices(500, 0.1, seed=3)
    assert first != few_shot_indices(500, 0.1, seed=4)
    assert len(first) == 50 and first == sorted(set(first))
    assert all(0 <= i < 500 for i in first)


def test_smaller_ratios_are_contained_in_larger_ones():
    subsets = [set(few_shot_indices(517, r, seed=0)) for r in PAPER_RATIOS]
    for small, large in zip(subsets, subsets[1:]):
        assert small < large
    assert [len(s) for s in subsets] == [5, 10, 26, 52, 103, 181, 258]


def test_at_least_one_sample_and_ratio_one_keeps_everything():
    assert len(few_shot_indices(7, 0.01, seed=0)) == 1
    assert few_shot_indices(7, 1.0) == list(range(7))


def test_stratified_keeps_class_proportions_and_every_class():
    labels = [0] * 340 + [1] * 177  # BUSI train: benign / malignant
    rng = np.random.default_rng(0)
    labels = list(rng.permutation(labels))
    keep = few_shot_indices(len(labels), 0.1, seed=1, strata=labels)
    counts = Counter(labels[i] for i in keep)
    assert counts == {0: 34, 1: 18}
    tiny = few_shot_indices(len(labels), 0.01, seed=1, strata=labels)
    assert Counter(labels[i] for i in tiny) == {0: 3, 1: 2}
    rare = [0] * 99 + [1]
    assert 99 in few_shot_indices(100, 0.01, strata=rare)  # the only sample of class 1 is kept


@pytest.mark.parametrize('bad', [0, -0.1, 1.5, 5, 'ten', None])
def test_bad_ratio_is_a_clear_error(bad):
    with pytest.raises(ValueError, match='ratio'):
        check_ratio(bad)


def test_percentage_error_says_how_to_write_it():
    with pytest.raises(ValueError, match=r'ratio=0\.05'):
        check_ratio(5)


def _seg_folder(root: Path, count: int) -> Path:
    for sub in ('img_dir/train', 'ann_dir/train'):
        (root / sub).mkdir(parents=True)
    for n in range(count):
        cv2.imwrite(str(root / 'img_dir/train' / f'img{n:03d}.png'), np.full((8, 8), n, np.uint8))
        cv2.imwrite(str(root / 'ann_dir/train' / f'img{n:03d}.png'), np.zeros((8, 8), np.uint8))
    return root


def _seg(root: Path, **kwargs) -> BUSIDataset:
    return BUSIDataset(
        data_root=str(root),
        pipeline=[],
        data_prefix=dict(img_path='img_dir/train', seg_map_path='ann_dir/train'),
        **kwargs)


def test_segmentation_dataset_ratio_option(tmp_path):
    root = _seg_folder(tmp_path, 40)
    full = _seg(root)
    subset = _seg(root, ratio=0.1, ratio_seed=2)
    assert len(full) == 40 and len(subset) == 4 and subset.full_size == 40
    names = [Path(subset.get_data_info(i)['img_path']).name for i in range(len(subset))]
    expected = [f'img{i:03d}.png' for i in few_shot_indices(40, 0.1, seed=2)]
    assert names == expected
    masks = [Path(subset.get_data_info(i)['seg_map_path']).name for i in range(len(subset))]
    assert masks == names  # images keep their own masks
    with pytest.raises(ValueError, match='ratio=0.2'):
        _seg(root, ratio=20)


def test_classification_dataset_ratio_is_stratified(tmp_path):
    from mmseg_ht.classification import BUSIClsDataset
    rows = [(f'b{n:02d}.png', 'benign', 'train') for n in range(30)]
    rows += [(f'm{n:02d}.png', 'malignant', 'train') for n in range(10)]
    root = make_converted(tmp_path, rows)
    subset = BUSIClsDataset(
        data_root=str(root), data_prefix=dict(img_path='img_dir/train'), ratio=0.05, ratio_seed=0)
    labels = [subset.get_data_info(i)['gt_label'] for i in range(len(subset))]
    assert Counter(labels) == {0: 2, 1: 1}  # round(1.5) = 2 benign; malignant kept (min one)


def test_ratio_from_config_overrides(tmp_path):
    """``--cfg-options train_dataloader.dataset.ratio=...`` reaches the data set."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATASETS

    import mmseg_ht  # noqa: F401
    init_default_scope('mmseg')
    root = _seg_folder(tmp_path, 20)
    cfg = Config.fromfile(str(Path(__file__).resolve().parents[2] / 'configs/ht/clip-ht_busi.py'))
    cfg.merge_from_dict({
        'train_dataloader.dataset.ratio': 0.5,
        'train_dataloader.dataset.data_root': str(root)
    })
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    assert len(dataset) == 10 and dataset.ratio == 0.5
