"""Tests of the per-image Dice/IoU/HD95/ASD functions against hand-computed values and brute
force."""
import math

import cv2
import numpy as np
import pytest
from scipy import ndimage

from mmseg_ht.evaluation import surface_distance as sd

CROSS = ndimage.generate_binary_structure(2, 1)

# ---------------------------------------------------------------- reference implementation


def reference_edges(mask: np.ndarray) -> np.ndarray:
    """Surface pixels exactly as MONAI defines them: mask XOR scipy erosion (cross, border 0)."""
    return mask ^ ndimage.binary_erosion(mask, CROSS, border_value=0)


def reference_directed(edges_from: np.ndarray, edges_to: np.ndarray,
                       spacing=(1.0, 1.0)) -> np.ndarray:
    """For every pixel of edges_from, the distance to its nearest pixel of edges_to (all pairs,
    argmin)."""
    scale = np.asarray(spacing, dtype=np.float64)
    points_from = np.argwhere(edges_from) * scale
    points_to = np.argwhere(edges_to) * scale
    pairwise = np.sqrt(((points_from[:, None, :] - points_to[None, :, :])**2).sum(axis=-1))
    nearest = pairwise.argmin(axis=1)
    return pairwise[np.arange(len(points_from)), nearest]


def reference_scores(pred: np.ndarray, gt: np.ndarray, spacing=(1.0, 1.0)):
    """(HD95, directed ASD, symmetric ASD) of two non-empty masks, computed the slow obvious way."""
    edges_pred, edges_gt = reference_edges(pred), reference_edges(gt)
    pred_to_gt = reference_directed(edges_pred, edges_gt, spacing)
    gt_to_pred = reference_directed(edges_gt, edges_pred, spacing)
    hd95 = max(np.percentile(pred_to_gt, 95), np.percentile(gt_to_pred, 95))
    return hd95, pred_to_gt.mean(), np.concatenate([pred_to_gt, gt_to_pred]).mean()


def square(shape=(32, 32), top=10, left=10, size=10) -> np.ndarray:
    """A filled size x size square with its top-left pixel at (top, left)."""
    mask = np.zeros(shape, dtype=bool)
    mask[top:top + size, left:left + size] = True
    return mask


def random_blob(rng: np.random.Generator,
                shape,
                smooth: float = 3.0,
                level: float = 0.6) -> np.ndarray:
    """A random, possibly multi-part blob: smoothed noise above a quantile."""
    noise = ndimage.gaussian_filter(rng.random(shape), smooth)
    return noise > np.quantile(noise, level)


# ---------------------------------------------------------------- building blocks


def test_mask_edges_equal_scipy_erosion_including_image_border():
    rng = np.random.default_rng(0)
    for _ in range(50):
        mask = rng.random(tuple(rng.integers(3, 60, size=2))) < rng.uniform(0.2, 0.95)
        np.testing.assert_array_equal(sd.mask_edges(mask), reference_edges(mask))
    full = np.ones((5, 6), dtype=bool)  # every pixel touching the border is surface
    expected = full.copy()
    expected[1:-1, 1:-1] = False
    np.testing.assert_array_equal(sd.mask_edges(full), expected)


def test_opencv_distance_transform_matches_scipy():
    rng = np.random.default_rng(1)
    for _ in range(30):
        edges = rng.random(tuple(rng.integers(5, 300, size=2))) < 0.003
        edges[0, 0] = True
        np.testing.assert_allclose(
            sd.distance_transform(edges),
            ndimage.distance_transform_edt(~edges),
            rtol=0,
            atol=1e-12)
        np.testing.assert_allclose(
            sd.distance_transform(edges, (0.7, 0.7)),
            ndimage.distance_transform_edt(~edges, sampling=(0.7, 0.7)),
            rtol=0,
            atol=1e-9)


def test_percentile95_equals_numpy_linear_percentile():
    rng = np.random.default_rng(2)
    for n in list(range(1, 60)) + [211, 1000]:
        values = rng.random(n) * 100
        assert sd.percentile95(values) == pytest.approx(np.percentile(values, 95), abs=1e-12)


def test_dice_iou_values():
    gt = square()
    pred = square(left=13)  # 10 x 7 overlap
    dice, iou = sd.dice_iou(pred, gt)
    assert dice == pytest.approx(2 * 70 / 200)
    assert iou == pytest.approx(70 / 130)
    assert sd.dice_iou(np.zeros((4, 4)), np.zeros((4, 4))) == (1.0, 1.0)
    assert sd.dice_iou(np.zeros((4, 4)), np.ones((4, 4))) == (0.0, 0.0)


@pytest.mark.parametrize('spacing, expected', [(None, None), (2, (2.0, 2.0)),
                                               ([0.5, 1.5], (0.5, 1.5)),
                                               (np.array([0.3]), (0.3, 0.3))])
def test_normalize_spacing(spacing, expected):
    assert sd.normalize_spacing(spacing) == expected


@pytest.mark.parametrize('spacing', [0, -1.0, (1.0, 2.0, 3.0), (1.0, float('nan'))])
def test_normalize_spacing_rejects_bad_values(spacing):
    with pytest.raises(ValueError, match='spacing'):
        sd.normalize_spacing(spacing)


def test_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r'\(4, 5\).*\(4, 6\)'):
        sd.score_image(np.zeros((4, 5)), np.zeros((4, 6)))
    with pytest.raises(ValueError, match=r'\(3, 3\).*\(2, 3\)'):
        sd.binary_masks(np.zeros((3, 3)), np.zeros((2, 3)))


def test_unknown_policy_and_method_are_rejected():
    with pytest.raises(ValueError, match='empty_policy'):
        sd.score_image(square(), square(), empty_policy='drop')
    with pytest.raises(ValueError, match='method'):
        sd.surface_distances(square(), square(), method='kdtree')
    with pytest.raises(ValueError, match='non-empty'):
        sd.surface_distances(square(), np.zeros((32, 32), dtype=bool))


# ---------------------------------------------------------------- hand-computed cases


def test_identical_masks_are_perfect():
    scores = sd.score_image(square(), square())
    assert (scores.dice, scores.iou, scores.hd95, scores.asd) == (1.0, 1.0, 0.0, 0.0)
    assert not scores.empty_gt and not scores.empty_pred


def test_squares_shifted_by_three_pixels():
    # G: 10x10 square, rows/cols 10..19. P: the same square moved right by 3 (cols 13..22).
    # Both surfaces are the 36-pixel rings. Directed P->G distances, by side of P's ring:
    #   top and bottom rows, cols 13..19 lie on G's rows           -> 7 + 7 zeros
    #   top and bottom rows, cols 20, 21, 22 (nearest (10|19, 19)) -> 1, 2, 3 twice
    #   left column (col 13), rows 11..18: min(3 to G's col 10, r-10, 19-r to G's rows)
    #                                                              -> 1, 2, 3, 3, 3, 3, 2, 1
    #   right column (col 22), rows 11..18: 3 to G's col 19        -> 3 eight times
    # Sorted: 14 zeros, 4 ones, 4 twos, 14 threes; sum = 12 + 18 + 24 = 54.
    # ASD = 54 / 36 = 1.5. The 95th percentile sits at index 35 * 0.95 = 33.25 -> 3.
    # G->P is the mirror image, so both directions (and the symmetric ASD) are the same.
    gt, pred = square(), square(left=13)
    pred_to_gt, gt_to_pred = sd.surface_distances(pred, gt)
    assert sorted(pred_to_gt) == [0] * 14 + [1] * 4 + [2] * 4 + [3] * 14
    assert sorted(gt_to_pred) == sorted(pred_to_gt)
    for symmetric in (False, True):
        scores = sd.score_image(pred, gt, symmetric_asd=symmetric)
        assert scores.hd95 == pytest.approx(3.0)
        assert scores.asd == pytest.approx(1.5)
    assert scores.dice == pytest.approx(0.7)


def test_single_pixel_at_the_centre_of_a_square():
    # G: square rows/cols 10..19; P: the single pixel (15, 15), which is its own surface.
    # P->G: nearest ring pixels are row 19 or col 19, 4 away        -> ASD (directed) = 4.
    # G->P: the largest ring distances are corner (10, 10) sqrt(25+25), then four pixels at
    # sqrt(25+16) = sqrt(41): (10, 19), (19, 10), (10, 11), (11, 10). Sorted, indices 31..34
    # hold sqrt(41) and 35 holds sqrt(50): the 95th percentile (index 33.25) is sqrt(41).
    # HD95 = max(4, sqrt(41)) = sqrt(41).
    gt = square()
    pred = np.zeros_like(gt)
    pred[15, 15] = True
    scores = sd.score_image(pred, gt)
    assert scores.asd == pytest.approx(4.0)
    assert scores.hd95 == pytest.approx(math.sqrt(41))
    assert scores.dice == pytest.approx(2 / 101)


def test_single_pixel_on_the_corner_of_a_square_symmetric_vs_directed():
    # P: the pixel (10, 10), which lies on G's ring -> d(P->G) = [0], directed ASD = 0.
    # G->P distances from the 36 ring pixels to (10, 10):
    #   top row (10, c), c = 10..19: c - 10 = 0..9                   (sum 45)
    #   left column (r, 10), r = 11..18: 1..8                         (sum 36)
    #   bottom row (19, c), c = 10..19: sqrt(81 + (c-10)^2)
    #   right column (r, 19), r = 11..18: sqrt(81 + (r-10)^2)
    # Largest: sqrt(162) (corner), then sqrt(145) twice -> 95th percentile (index 33.25) =
    # sqrt(145).
    # Symmetric ASD pools 1 + 36 distances.
    gt = square()
    pred = np.zeros_like(gt)
    pred[10, 10] = True
    bottom = [math.sqrt(81 + k * k) for k in range(10)]
    right = [math.sqrt(81 + k * k) for k in range(1, 9)]
    directed = sd.score_image(pred, gt)
    symmetric = sd.score_image(pred, gt, symmetric_asd=True)
    assert directed.asd == 0.0
    assert symmetric.asd == pytest.approx((0 + 45 + 36 + sum(bottom) + sum(right)) / 37)
    assert directed.hd95 == symmetric.hd95 == pytest.approx(math.sqrt(145))


def test_isotropic_spacing_scales_distances():
    gt, pred = square(), square(left=13)
    base = sd.score_image(pred, gt)
    doubled = sd.score_image(pred, gt, spacing=(2, 2))
    assert doubled.hd95 == pytest.approx(2 * base.hd95)
    assert doubled.asd == pytest.approx(2 * base.asd)
    assert doubled.dice == base.dice


# ---------------------------------------------------------------- brute-force agreement


@pytest.mark.parametrize('spacing', [None, (0.8, 0.8), (0.5, 1.3), (2.0, 0.25)])
@pytest.mark.parametrize('method', ['auto', 'pairs', 'transform'])
def test_agrees_with_brute_force_on_random_masks(spacing, method):
    rng = np.random.default_rng(3)
    reference_spacing = spacing or (1.0, 1.0)
    for _ in range(12):
        shape = tuple(rng.integers(8, 48, size=2))
        pred = random_blob(rng, shape, smooth=rng.uniform(1, 4), level=rng.uniform(0.5, 0.9))
        gt = random_blob(rng, shape, smooth=rng.uniform(1, 4), level=rng.uniform(0.5, 0.9))
        pred_to_gt, gt_to_pred = sd.surface_distances(pred, gt, spacing, method=method)
        np.testing.assert_allclose(
            pred_to_gt,
            reference_directed(reference_edges(pred), reference_edges(gt), reference_spacing),
            rtol=0,
            atol=1e-6)
        np.testing.assert_allclose(
            gt_to_pred,
            reference_directed(reference_edges(gt), reference_edges(pred), reference_spacing),
            rtol=0,
            atol=1e-6)
        hd95, asd, asd_symmetric = reference_scores(pred, gt, reference_spacing)
        scores = sd.score_image(pred, gt, spacing)
        assert scores.hd95 == pytest.approx(hd95, abs=1e-6)
        assert scores.asd == pytest.approx(asd, abs=1e-6)
        symmetric = sd.score_image(pred, gt, spacing, symmetric_asd=True)
        assert symmetric.asd == pytest.approx(asd_symmetric, abs=1e-6)


def test_anisotropic_spacing_matches_scipy_distance_transform():
    rng = np.random.default_rng(4)
    spacing = (0.45, 1.7)
    for _ in range(5):
        pred, gt = random_blob(rng, (40, 50)), random_blob(rng, (40, 50))
        edges_pred, edges_gt = reference_edges(pred), reference_edges(gt)
        expected = ndimage.distance_transform_edt(~edges_gt, sampling=spacing)[edges_pred]
        for method in ('pairs', 'transform'):
            np.testing.assert_allclose(
                sd.surface_distances(pred, gt, spacing, method=method)[0],
                expected,
                rtol=0,
                atol=1e-9)


def test_cropping_changes_nothing():
    rng = np.random.default_rng(5)
    for index in range(20):
        shape = tuple(rng.integers(20, 90, size=2))
        pred, gt = random_blob(rng, shape, level=0.8), random_blob(rng, shape, level=0.85)
        if index % 2:  # also masks touching the image border, where the margin is clipped
            pred[:, :3] = True
            gt[-2:, :] = True
        for spacing in (None, (0.6, 1.1)):
            cropped = sd.surface_distances(pred, gt, spacing, crop=True)
            full = sd.surface_distances(pred, gt, spacing, crop=False)
            np.testing.assert_array_equal(cropped[0], full[0])
            np.testing.assert_array_equal(cropped[1], full[1])
            assert sd.score_image(pred, gt, spacing) == sd.score_image(
                pred, gt, spacing, crop=False)


def test_union_crop_slices():
    pred = np.zeros((10, 12), dtype=bool)
    gt = np.zeros_like(pred)
    assert sd.union_crop_slices(pred, gt) is None
    pred[0, 5] = True
    gt[4, 11] = True
    assert sd.union_crop_slices(pred, gt) == (slice(0, 6), slice(4, 12))


# ---------------------------------------------------------------- empty masks and ignore index


def test_empty_policy_penalize():
    empty, lesion = np.zeros((30, 40), dtype=bool), square((30, 40), 5, 5, 8)
    both = sd.score_image(empty, empty)
    missed = sd.score_image(empty, lesion)
    false_alarm = sd.score_image(lesion, empty)
    assert (both.dice, both.iou, both.hd95, both.asd) == (1.0, 1.0, 0.0, 0.0)
    for scores in (missed, false_alarm):  # diagonal of a 30 x 40 image = 50
        assert (scores.dice, scores.iou, scores.hd95, scores.asd) == (0.0, 0.0, 50.0, 50.0)
    assert (missed.empty_pred, missed.empty_gt) == (True, False)
    assert (false_alarm.empty_pred, false_alarm.empty_gt) == (False, True)
    assert sd.score_image(empty, lesion, spacing=(2, 0.5)).hd95 == pytest.approx(math.hypot(60, 20))


def test_empty_policy_exclude_and_counts():
    empty, lesion = np.zeros((30, 40), dtype=bool), square((30, 40), 5, 5, 8)
    shifted = square((30, 40), 5, 8, 8)
    pairs = [(lesion, lesion), (shifted, lesion), (empty, lesion), (lesion, empty), (empty, empty)]
    scores = [sd.score_image(p, g, empty_policy='exclude') for p, g in pairs]
    assert [s.distance_excluded for s in scores] == [False, False, True, True, True]
    assert [s.dice for s in scores[2:]] == [0.0, 0.0, 1.0]
    summary = sd.summarize_scores(scores)
    assert summary['HD95'] == pytest.approx((scores[0].hd95 + scores[1].hd95) / 2)
    assert summary['ASD'] == pytest.approx((scores[0].asd + scores[1].asd) / 2)
    assert summary['Dice'] == pytest.approx((1 + scores[1].dice + 0 + 0 + 1) / 5)
    assert {
        k: v
        for k, v in summary.items() if k.startswith('n_')
    } == dict(
        n_images=5, n_empty_gt=2, n_empty_pred=2, n_both_empty=1, n_distance_excluded=3)

    penalized = sd.summarize_scores(sd.score_image(p, g) for p, g in pairs)
    assert penalized['n_distance_excluded'] == 0
    assert penalized['HD95'] == pytest.approx((scores[0].hd95 + scores[1].hd95 + 50 + 50 + 0) / 5)


def test_all_excluded_gives_nan_means_without_warning():
    empty = np.zeros((5, 5), dtype=bool)
    summary = sd.summarize_scores([sd.score_image(empty, empty, empty_policy='exclude')])
    assert math.isnan(summary['HD95']) and math.isnan(summary['ASD'])
    with pytest.raises(ValueError, match='no images'):
        sd.summarize_scores([])


def test_ignore_index_removes_pixels_from_both_masks():
    gt_label = np.zeros((6, 6), dtype=np.uint8)
    gt_label[1:4, 1:4] = 1
    gt_label[:, 5] = 255
    pred_label = np.zeros_like(gt_label)
    pred_label[1:4, 1:6] = 1  # spills into the ignored column
    pred, gt = sd.binary_masks(pred_label, gt_label)
    assert not pred[:, 5].any() and not gt[:, 5].any()
    assert sd.dice_iou(pred, gt) == pytest.approx((2 * 9 / (12 + 9), 9 / 12))
    pred_kept, _ = sd.binary_masks(pred_label, gt_label, ignore_index=None)
    assert pred_kept[1:4, 5].all()
    pred2, gt2 = sd.binary_masks(pred_label, gt_label, fg_index=255, ignore_index=None)
    assert gt2[:, 5].all() and not pred2.any()


# ---------------------------------------------------------------- real data


def test_real_busi_masks_match_brute_force(busi_root):
    rng = np.random.default_rng(6)
    for number in range(1, 21):
        mask = cv2.imread(
            str(busi_root / 'benign' / f'benign ({number})_mask.png'), cv2.IMREAD_GRAYSCALE)
        assert mask is not None, f'cannot read benign ({number})_mask.png'
        gt = mask > 127
        pred = ndimage.binary_dilation(gt, iterations=int(rng.integers(1, 6)))
        pred = np.roll(pred, tuple(rng.integers(-6, 7, size=2)), axis=(0, 1))
        hd95, asd, asd_symmetric = reference_scores(pred, gt)
        scores = sd.score_image(pred, gt)
        assert scores.hd95 == pytest.approx(hd95, abs=1e-6), number
        assert scores.asd == pytest.approx(asd, abs=1e-6), number
        assert sd.score_image(
            pred, gt, symmetric_asd=True).asd == pytest.approx(
                asd_symmetric, abs=1e-6)
        pred_to_gt, gt_to_pred = sd.surface_distances(pred, gt, method='transform')
        assert sd.hd95_from_distances(pred_to_gt, gt_to_pred) == pytest.approx(
            hd95, abs=1e-6), number
