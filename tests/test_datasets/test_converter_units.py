"""Shared converter building blocks: splits, stems, mask binarising, field-of-view cropping."""
import cv2
import numpy as np
import pytest

from mmseg_ht.datasets.converters.crop import crop_to_content, find_content_box
from mmseg_ht.datasets.converters.masks import binarise_mask
from mmseg_ht.datasets.converters.naming import safe_stem, unique_stems
from mmseg_ht.datasets.converters.splits import TRAIN_VAL_8_2, allocate_counts, assign_splits


@pytest.mark.parametrize(
    'total, ratios, expected',
    [
        (10, (0.8, 0.1, 0.1), [8, 1, 1]),
        (437, (0.8, 0.1, 0.1), [349, 44, 44]),
        (4, (0.8, 0.1, 0.1), [2, 1, 1]),  # every split gets one as soon as possible
        (3, (0.8, 0.1, 0.1), [1, 1, 1]),
        (2, (0.8, 0.1, 0.1), [2, 0, 0]),
        (10, TRAIN_VAL_8_2, [8, 2, 0]),
    ])
def test_allocate_counts(total, ratios, expected):
    assert allocate_counts(total, ratios) == expected


def test_assign_splits_is_seeded_order_free_and_stratified():
    keys = [f'k{i}' for i in range(100)]
    strata = {k: 'a' if i < 70 else 'b' for i, k in enumerate(keys)}
    first = assign_splits(keys, seed=0, strata=strata)
    assert assign_splits(list(reversed(keys)), seed=0, strata=strata) == first
    assert assign_splits(keys, seed=1, strata=strata) != first
    for stratum, sizes in (('a', (56, 7, 7)), ('b', (24, 3, 3))):
        members = [k for k in keys if strata[k] == stratum]
        assert tuple(sum(first[k] == s for k in members) for s in ('train', 'val', 'test')) == sizes
    # adding a stratum leaves the split of the others unchanged
    more = dict(strata, **{f'n{i}': 'c' for i in range(10)})
    extended = assign_splits(list(more), seed=0, strata=more)
    assert all(extended[k] == first[k] for k in keys)


def test_stems():
    assert safe_stem('benign (12)') == 'benign_12'
    assert safe_stem('Case 7 / left*') == 'Case_7_left'
    assert unique_stems(['a b', 'a_b', 'A_B', 'c']) == ['a_b', 'a_b_2', 'A_B_3', 'c']


@pytest.mark.parametrize(
    'array, expected, needed',
    [
        (np.array([[0, 1]], np.uint8), [[0, 1]], False),
        (np.array([[0, 255]], np.uint8), [[0, 1]], False),
        (np.array([[0, 38]], np.uint8), [[0, 1]], True),  # two values {0, v}
        (np.array([[0, 3, 127, 128, 250]], np.uint8), [[0, 0, 0, 1, 1]], True),  # JPEG noise
        (np.array([[0, 1000, 40000, 65535]], np.uint16), [[0, 0, 1, 1]], True),
        (np.array([[[0, 0, 0], [0, 0, 200], [90, 90, 90]]], np.uint8), [[0, 1, 0]], True),
        (np.array([[[255, 255, 255, 0], [0, 0, 0, 255]]], np.uint8), [[1, 0]], False),  # gray+alpha
        (np.array([[True, False]]), [[1, 0]], False),
    ])
def test_binarise_mask(array, expected, needed):
    mask, was_needed = binarise_mask(array)
    assert mask.dtype == np.uint8
    np.testing.assert_array_equal(mask, np.array(expected, np.uint8))
    assert was_needed is needed


@pytest.mark.parametrize('shadow_rows', [(110, 150), (150, 190)])  # mid field, bottom edge
def test_crop_keeps_dark_tissue_and_ignores_frame_text(shadow_rows):
    rng = np.random.default_rng(0)
    image = np.zeros((200, 300), np.uint8)
    image[30:190, 50:260] = rng.integers(60, 200, (160, 210))
    top, bottom = shadow_rows
    image[top:bottom, 50:260] = rng.integers(1, 6, (bottom - top, 210))  # dark, not black
    cv2.putText(image, 'RIGHT BREAST 12MHz', (5, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, 255, 1)
    cv2.putText(image, '4.5cm', (265, 100), cv2.FONT_HERSHEY_SIMPLEX, 0.4, 255, 1)
    encoded = cv2.imdecode(
        cv2.imencode('.jpg', image, [cv2.IMWRITE_JPEG_QUALITY, 75])[1],
        cv2.IMREAD_GRAYSCALE)  # JPEG noise in the frame
    box = find_content_box(encoded)
    assert box is not None
    assert abs(box.y0 - 30) <= 2 and abs(box.y1 - 190) <= 2
    assert abs(box.x0 - 50) <= 2 and abs(box.x1 - 260) <= 2


def test_crop_leaves_frameless_and_blank_images_alone():
    rng = np.random.default_rng(1)
    full = rng.integers(30, 200, (64, 64)).astype(np.uint8)
    mask = np.zeros_like(full)
    image, _, outcome = crop_to_content(full, mask)
    assert image is full and not outcome.cropped
    blank = np.zeros((64, 64), np.uint8)
    _, _, outcome = crop_to_content(blank, mask)
    assert outcome.box is None and not outcome.cropped
