"""Fuzz the data loading of the segmentation configs with random image/mask files.

Seeded random pairs (sizes from 1 px to above the crop, odd sizes, 8/16-bit,
gray/RGB/RGBA images; 0/1, 0/255, soft-edged, 16-bit, colour, palette, empty
masks; size mismatches; corrupt files) go into an mmseg layout and through the
configs' train and test pipelines. Each case must either give valid tensors
whose labels are exactly the generated mask, or raise ``DataValidationError``
naming the offending file — decided by an oracle that looks only at the
generated data. Never another exception, never silently different labels.
"""
import cv2
import numpy as np
import pytest
import torch
from PIL import Image
from reliability_helpers import build_dataset, config_pipelines, png_bytes, write_file

from mmseg_ht.datasets.transforms import DataValidationError

N_CASES = 40
TRAIN, TEST = config_pipelines()
MASK_KINDS = ('binary', 'binary16', 'rgb_equal', 'palette', 'zero255', 'soft', 'colour',
              'sixteen_bit_large', 'empty')


def random_size(rng):
    return int(rng.choice([rng.integers(1, 16), rng.integers(16, 224), rng.integers(224, 320)]))


def make_case(seed: int):
    """(image file content, mask file content, oracle) for one random case.

    The oracle is ``None`` when the pair must be refused, else the (H, W)
    0/1 label map the loaders must produce.
    """
    rng = np.random.default_rng(seed)
    h, w = random_size(rng), random_size(rng)
    dtype = rng.choice(['uint8', 'uint16'])
    high = 255 if dtype == 'uint8' else int(rng.choice([4095, 65535]))
    image = rng.integers(0, high + 1, size=(h, w)).astype(dtype)
    channels = rng.choice(['gray', 'rgb', 'rgba'])
    if channels != 'gray':
        image = np.dstack([image] * 3 +
                          ([image[..., None] * 0 + high] if channels == 'rgba' else []))
    image = np.ascontiguousarray(image)

    mh, mw = (h, w) if rng.random() > 0.1 else (h + 1, w)  # 10 % size mismatches
    labels = (rng.random((mh, mw)) < rng.choice([0.0, 0.05, 0.3, 0.7])).astype(np.uint8)
    kind = str(rng.choice(MASK_KINDS))
    if kind == 'empty':
        labels[:] = 0
    mask, valid = labels, True
    if kind in ('binary', 'empty'):
        pass
    elif kind == 'binary16':
        mask = labels.astype(np.uint16)
    elif kind == 'rgb_equal':
        mask = np.dstack([labels] * 3)
    elif kind == 'palette':
        mask = Image.fromarray(labels, 'P')
        mask.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    elif kind == 'zero255':
        mask = labels * 255
    elif kind == 'soft':
        mask = cv2.GaussianBlur(labels * 255, (5, 5), 0)
    elif kind == 'colour':
        mask = np.dstack([labels * 0, labels * 0, labels * 255])  # red on black (BGR)
    elif kind == 'sixteen_bit_large':
        mask = labels.astype(np.uint16) * 256
    values = np.unique(np.asarray(mask))
    if kind == 'colour':
        valid = not labels.any()  # an all-black "colour" mask is a plain empty mask
    else:
        valid = bool(np.isin(values, (0, 1)).all())
    valid = valid and (mh, mw) == (h, w)

    image_content = image
    corruption = rng.random()
    if corruption < 0.05:
        image_content, valid = png_bytes(image)[:max(8, int(rng.integers(8, 200)))], False
    elif corruption < 0.08:
        mask, valid = png_bytes(labels)[:20], False
    return image_content, mask, (labels if valid else None), f'{seed}-{kind}-{dtype}-{channels}'


def test_oracle_covers_both_outcomes_and_every_kind():
    cases = [make_case(seed) for seed in range(N_CASES)]
    assert sum(c[2] is None for c in cases) >= 8 and sum(c[2] is not None for c in cases) >= 8
    assert {c[3].split('-')[1] for c in cases} == set(MASK_KINDS)


@pytest.mark.parametrize('seed', range(N_CASES))
def test_random_pair_is_loaded_exactly_or_refused_by_name(tmp_path, seed):
    image, mask, expected, name = make_case(seed)
    root = tmp_path / 'data'
    write_file(root / 'img_dir/train/case.png', image)
    write_file(root / 'ann_dir/train/case.png', mask)
    for pipeline, test_mode in ((TRAIN, False), (TEST, True)):
        if expected is None:  # when the set is built (headers) or the sample loaded
            with pytest.raises(DataValidationError) as error:
                build_dataset(root, pipeline, test_mode=test_mode)[0]
            assert str(root) in str(error.value) and 'case.png' in str(error.value), name
            with pytest.raises(DataValidationError) as error:
                build_dataset(root, pipeline, test_mode=test_mode, check_headers=False)[0]
            assert str(root) in str(error.value) and 'case.png' in str(error.value), name
            continue
        sample = build_dataset(root, pipeline, test_mode=test_mode)[0]
        inputs, gt = sample['inputs'], sample['data_samples'].gt_sem_seg.data[0].numpy()
        assert inputs.shape == (3, 224, 224) and inputs.dtype == torch.uint8, name
        if test_mode:  # ground truth stays at the original size, exactly the written mask
            np.testing.assert_array_equal(gt, expected, err_msg=name)
        else:  # resized (nearest) to the crop, maybe flipped
            resized = cv2.resize(expected, (224, 224), interpolation=cv2.INTER_NEAREST)
            assert np.array_equal(gt, resized) or np.array_equal(gt, resized[:, ::-1]), name
