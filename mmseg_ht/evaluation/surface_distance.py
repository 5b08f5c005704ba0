"""Per-image overlap and surface-distance scores for binary masks (numpy/scipy/OpenCV only).

Definitions follow MONAI so that numbers can be compared with papers that use it:

* surface of a mask = ``mask XOR binary_erosion(mask)`` with the 4-connectivity cross and
  border value 0 (foreground pixels on the image border are surface pixels);
* directed distances P->G = for each surface pixel of P, the Euclidean distance (in pixels,
  or in physical units when a ``(sy, sx)`` spacing is given) to the nearest surface pixel of G;
* HD95 = ``max(percentile95(d(P->G)), percentile95(d(G->P)))`` with numpy's linear percentile
  (MONAI ``compute_hausdorff_distance(percentile=95)``; MedPy's ``hd95``, which pools both
  directions, differs);
* ASD = ``mean(d(P->G))`` (MONAI ``compute_average_surface_distance(symmetric=False)``), or the
  mean of both directions concatenated when ``symmetric=True``.

Unlike MONAI (NaN or inf), images with an empty mask get finite, explicit values chosen by an
``empty_policy``; see :func:`score_image`.

Speed: both masks are cropped to their union bounding box (+1 px) first, which changes no
result. Distances are then exact either way: all edge-pixel pairs when there are few of them
compared with the crop's size, otherwise two distance transforms (OpenCV's exact L2
transform for unit or isotropic spacing,
scipy's ``distance_transform_edt(sampling=...)`` for anisotropic spacing).
"""
import math
from dataclasses import asdict, dataclass
from typing import Dict, Iterable, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
from scipy import ndimage

Spacing = Tuple[float, float]
SpacingLike = Union[None, float, Sequence[float], np.ndarray]

EMPTY_POLICIES = ('penalize', 'exclude')
DISTANCE_METHODS = ('auto', 'pairs', 'transform')

# Comparing all (pred edge pixel, gt edge pixel) pairs costs ~3-4 ns a pair; the two exact
# distance transforms cost ~45 ns per crop pixel. Pairs are used while they number at most
# PAIRS_PER_CROP_PIXEL x the crop's pixels (16 was the fastest setting on BUSI lesions at
# 224x224), and never more than MAX_PAIRS (two int32 matrices of 8 MB each).
PAIRS_PER_CROP_PIXEL = 16
MAX_PAIRS = 2_000_000

# 4-connectivity cross, identical to scipy's generate_binary_structure(2, 1).
_CROSS = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))


@dataclass(frozen=True)
class ImageScores:
    """Scores of one image; Dice and IoU are fractions in [0, 1], distances in px or spacing units.

    ``hd95`` and ``asd`` are NaN when the image was excluded from the distance metrics
    (``empty_policy='exclude'`` and at least one mask empty).
    """

    dice: float
    iou: float
    hd95: float
    asd: float
    empty_gt: bool
    empty_pred: bool

    @property
    def distance_excluded(self) -> bool:
        """Whether HD95/ASD of this image are left out of the means."""
        return math.isnan(self.hd95)

    def as_dict(self) -> Dict[str, Union[float, bool]]:
        """Plain dict, handy for result lists that are gathered across processes."""
        return asdict(self)


def normalize_spacing(spacing: SpacingLike) -> Optional[Spacing]:
    """Turn a scalar, a pair, an array or None into ``(sy, sx)`` floats (None means unit pixels).

    A scalar means isotropic spacing. Raises ValueError for non-positive or non-finite values
    and for sequences that are not of length 1 or 2.
    """
    if spacing is None:
        return None
    values = np.asarray(spacing, dtype=np.float64).reshape(-1)
    if values.size == 1:
        values = np.repeat(values, 2)
    if values.size != 2:
        raise ValueError(f'spacing must be a number or a (sy, sx) pair, got {spacing!r}')
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise ValueError(f'spacing values must be positive and finite, got {spacing!r}')
    return float(values[0]), float(values[1])


def as_mask_pair(pred: np.ndarray, gt: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Both masks as boolean (H, W) arrays; a ValueError names both shapes if they differ."""
    pred, gt = np.asarray(pred, dtype=bool), np.asarray(gt, dtype=bool)
    if pred.shape != gt.shape:
        raise ValueError(
            f'prediction shape {pred.shape} does not match ground-truth shape {gt.shape}')
    if pred.ndim != 2:
        raise ValueError(
            f'expected 2-D (H, W) masks, got prediction/ground-truth shape {pred.shape}')
    return pred, gt


def binary_masks(pred_label: np.ndarray,
                 gt_label: np.ndarray,
                 fg_index: int = 1,
                 ignore_index: Optional[int] = 255) -> Tuple[np.ndarray, np.ndarray]:
    """Foreground masks ``(label == fg_index)`` of two label maps, with ignored pixels removed.

    Pixels whose ground truth is ``ignore_index`` are set to background in BOTH masks. For Dice
    and IoU this is exactly "excluding" them (as mmseg's IoUMetric does); for surface distances
    it means they are treated as background.
    """
    pred_label, gt_label = np.asarray(pred_label), np.asarray(gt_label)
    if pred_label.shape != gt_label.shape:
        raise ValueError(f'prediction shape {pred_label.shape} does not match '
                         f'ground-truth shape {gt_label.shape}')
    pred = pred_label == fg_index
    gt = gt_label == fg_index
    if ignore_index is not None:
        keep = gt_label != ignore_index
        pred &= keep
        gt &= keep
    return pred, gt


def dice_iou(pred: np.ndarray, gt: np.ndarray) -> Tuple[float, float]:
    """Dice ``2|P&G|/(|P|+|G|)`` and IoU ``|P&G|/|P|G|`` as fractions; both 1.0 when both masks
    are empty."""
    n_pred = int(np.count_nonzero(pred))
    n_gt = int(np.count_nonzero(gt))
    if n_pred == 0 and n_gt == 0:
        return 1.0, 1.0
    n_inter = int(np.count_nonzero(np.logical_and(pred, gt)))
    return 2.0 * n_inter / (n_pred + n_gt), n_inter / (n_pred + n_gt - n_inter)


def union_crop_slices(pred: np.ndarray,
                      gt: np.ndarray,
                      margin: int = 1) -> Optional[Tuple[slice, slice]]:
    """Row/column slices of the union bounding box of two masks grown by ``margin``; None if both
    are empty.

    Cropping to it leaves every surface pixel and every surface distance unchanged (outside the
    box both masks are background, which is what erosion's border value 0 assumes), while the
    erosions and distance transforms run on far fewer pixels.
    """
    union = pred | gt
    rows = np.flatnonzero(union.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(union.any(axis=0))
    height, width = union.shape
    return (slice(max(rows[0] - margin, 0),
                  min(rows[-1] + 1 + margin,
                      height)), slice(max(cols[0] - margin, 0), min(cols[-1] + 1 + margin, width)))


def mask_edges(mask: np.ndarray) -> np.ndarray:
    """Surface pixels: ``mask XOR erosion(mask)`` with the 4-connectivity cross and border value 0.

    OpenCV's erosion equals ``scipy.ndimage.binary_erosion(mask, generate_binary_structure(2, 1),
    border_value=0)`` (checked in the tests) and is several times faster.
    """
    mask_u8 = np.ascontiguousarray(mask, dtype=bool).view(np.uint8)
    eroded = cv2.erode(mask_u8, _CROSS, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    return (mask_u8 ^ eroded).view(bool)


def distances_by_pairs(edges_pred: np.ndarray,
                       edges_gt: np.ndarray,
                       spacing: Optional[Spacing] = None) -> Tuple[np.ndarray, np.ndarray]:
    """Directed distances ``(d(P->G), d(G->P))`` from one matrix over all edge-pixel pairs.

    Exact; memory and time grow with the product of the two edge-pixel counts, so it is meant
    for small edge sets (see ``PAIRS_PER_CROP_PIXEL``). ``spacing``: None or ``(sy, sx)``.
    """
    ys_p, xs_p = np.nonzero(edges_pred)
    ys_g, xs_g = np.nonzero(edges_gt)
    # int32 holds dy^2 + dx^2 for crops up to 32767 px a side, and is faster than int64.
    dtype = np.int32 if max(edges_pred.shape) < 32768 else np.int64
    dy = np.subtract.outer(ys_p.astype(dtype), ys_g.astype(dtype))
    dx = np.subtract.outer(xs_p.astype(dtype), xs_g.astype(dtype))
    if spacing is None or spacing[0] == spacing[1]:
        # Integer squared pixel distances: exact, and the fastest arithmetic.
        squared = np.square(dy, out=dy)
        squared += np.square(dx, out=dx)
        scale = 1.0 if spacing is None else spacing[0]
        return np.sqrt(squared.min(axis=1)) * scale, np.sqrt(squared.min(axis=0)) * scale
    squared = np.square(dy * spacing[0]) + np.square(dx * spacing[1])
    return np.sqrt(squared.min(axis=1)), np.sqrt(squared.min(axis=0))


def _exact_transform_px(edges: np.ndarray) -> np.ndarray:
    """Exact float64 pixel distance from every pixel to the nearest edge pixel, via OpenCV.

    OpenCV's precise L2 transform is exact but returns float32 (errors up to ~1.5e-5 px at a few
    hundred pixels); squared pixel distances are integers, so rounding the square restores them.
    """
    background = np.ascontiguousarray(~edges).view(np.uint8)
    dist32 = cv2.distanceTransform(background, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return np.sqrt(np.rint(np.square(dist32, dtype=np.float64)))


def distance_transform(edges: np.ndarray, spacing: Optional[Spacing] = None) -> np.ndarray:
    """Euclidean distance from every pixel to the nearest True pixel of ``edges`` (which must have
    one).

    ``spacing`` is None or an ``(sy, sx)`` pair from :func:`normalize_spacing`. OpenCV for unit or
    isotropic spacing (scaled afterwards), scipy's ``distance_transform_edt(sampling=spacing)``
    for anisotropic spacing.
    """
    if not edges.any():
        raise ValueError('the distance transform needs at least one edge pixel')
    if spacing is None:
        return _exact_transform_px(edges)
    if spacing[0] == spacing[1]:
        return _exact_transform_px(edges) * spacing[0]
    return ndimage.distance_transform_edt(~edges, sampling=spacing)


def distances_by_transform(edges_pred: np.ndarray,
                           edges_gt: np.ndarray,
                           spacing: Optional[Spacing] = None) -> Tuple[np.ndarray, np.ndarray]:
    """Directed distances ``(d(P->G), d(G->P))``: each edge map's distance transform sampled at
    the other's."""
    return (distance_transform(edges_gt,
                               spacing)[edges_pred], distance_transform(edges_pred,
                                                                        spacing)[edges_gt])


def surface_distances(pred: np.ndarray,
                      gt: np.ndarray,
                      spacing: SpacingLike = None,
                      crop: bool = True,
                      method: str = 'auto') -> Tuple[np.ndarray, np.ndarray]:
    """Directed surface distances ``(d(P->G), d(G->P))`` of two non-empty binary masks.

    ``crop=False`` skips the union-bounding-box crop and ``method`` forces ``'pairs'`` or
    ``'transform'`` (see the module docstring); the results are identical, only slower, which
    the tests check.
    """
    if method not in DISTANCE_METHODS:
        raise ValueError(f'method must be one of {DISTANCE_METHODS}, got {method!r}')
    pred, gt = as_mask_pair(pred, gt)
    if not pred.any() or not gt.any():
        raise ValueError('surface distances need two non-empty masks; '
                         'use score_image() for an explicit empty-mask policy')
    spacing = normalize_spacing(spacing)
    if crop:
        rows, cols = union_crop_slices(pred, gt)
        pred, gt = pred[rows, cols], gt[rows, cols]
    edges_pred, edges_gt = mask_edges(pred), mask_edges(gt)
    if method == 'auto':
        n_pairs = np.count_nonzero(edges_pred) * np.count_nonzero(edges_gt)
        few_pairs = n_pairs <= min(MAX_PAIRS, PAIRS_PER_CROP_PIXEL * pred.size)
        method = 'pairs' if few_pairs else 'transform'
    if method == 'pairs':
        return distances_by_pairs(edges_pred, edges_gt, spacing)
    return distances_by_transform(edges_pred, edges_gt, spacing)


def percentile95(values: np.ndarray) -> float:
    """``np.percentile(values, 95)`` (linear method, same rounding) via a partial sort, ~10x
    faster."""
    n = values.size
    if n == 0:
        raise ValueError('the percentile of an empty array is undefined')
    virtual_index = (n - 1) * 0.95
    low = int(virtual_index)
    high = min(low + 1, n - 1)
    part = np.partition(values, (low, high))
    below, above = float(part[low]), float(part[high])
    gamma = virtual_index - low
    diff = above - below
    # numpy's _lerp: interpolate from the nearer end for accuracy.
    return above - diff * (1 - gamma) if gamma >= 0.5 else below + diff * gamma


def hd95_from_distances(pred_to_gt: np.ndarray, gt_to_pred: np.ndarray) -> float:
    """MONAI's HD95: the larger of the two directed 95th percentiles (numpy linear
    interpolation)."""
    return max(percentile95(pred_to_gt), percentile95(gt_to_pred))


def asd_from_distances(pred_to_gt: np.ndarray,
                       gt_to_pred: np.ndarray,
                       symmetric: bool = False) -> float:
    """Average surface distance: mean of d(P->G), or of both directions pooled when
    ``symmetric``."""
    if symmetric:
        return float(np.concatenate([pred_to_gt, gt_to_pred]).mean())
    return float(pred_to_gt.mean())


def image_diagonal(shape: Tuple[int, int], spacing: SpacingLike = None) -> float:
    """Length of the image diagonal ``hypot(H*sy, W*sx)``: an upper bound on any distance in the
    image."""
    sy, sx = normalize_spacing(spacing) or (1.0, 1.0)
    return math.hypot(shape[0] * sy, shape[1] * sx)


def check_empty_policy(empty_policy: str) -> None:
    """Raise a ValueError unless ``empty_policy`` is one of :data:`EMPTY_POLICIES`."""
    if empty_policy not in EMPTY_POLICIES:
        raise ValueError(f'empty_policy must be one of {EMPTY_POLICIES}, got {empty_policy!r}')


def empty_mask_distance(shape: Tuple[int, int], empty_pred: bool, empty_gt: bool,
                        spacing: SpacingLike, empty_policy: str) -> float:
    """HD95/ASD value of an image with at least one empty mask, under ``empty_policy``.

    ``'exclude'``: NaN (left out of the means). ``'penalize'``: 0 when both are empty (a correct
    negative), the image diagonal when only one is (missed lesion or false alarm).
    """
    if empty_policy == 'exclude':
        return math.nan
    return 0.0 if (empty_pred and empty_gt) else image_diagonal(shape, spacing)


def score_image(pred: np.ndarray,
                gt: np.ndarray,
                spacing: SpacingLike = None,
                empty_policy: str = 'penalize',
                symmetric_asd: bool = False,
                crop: bool = True) -> ImageScores:
    """Dice, IoU, HD95 and ASD of one pair of binary masks, with an explicit empty-mask policy.

    Empty masks (MONAI would return NaN or inf):

    * both empty (a correct negative): Dice = IoU = 1 under either policy; HD95 = ASD = 0 under
      ``'penalize'``, NaN (left out of the distance means) under ``'exclude'``;
    * exactly one empty (missed lesion or false alarm): Dice = IoU = 0 under either policy;
      HD95 = ASD = the image diagonal (:func:`image_diagonal`, the worst possible distance)
      under ``'penalize'``, NaN (left out of the distance means) under ``'exclude'``.
    """
    check_empty_policy(empty_policy)
    pred, gt = as_mask_pair(pred, gt)
    spacing = normalize_spacing(spacing)
    shape = pred.shape
    box = union_crop_slices(pred, gt) if crop else None
    if box is not None:
        pred, gt = pred[box], gt[box]
    dice, iou = dice_iou(pred, gt)
    empty_pred, empty_gt = not pred.any(), not gt.any()
    if empty_pred or empty_gt:
        distance = empty_mask_distance(shape, empty_pred, empty_gt, spacing, empty_policy)
        return ImageScores(dice, iou, distance, distance, empty_gt, empty_pred)
    pred_to_gt, gt_to_pred = surface_distances(pred, gt, spacing, crop=False)
    return ImageScores(dice, iou, hd95_from_distances(pred_to_gt, gt_to_pred),
                       asd_from_distances(pred_to_gt, gt_to_pred, symmetric_asd), empty_gt,
                       empty_pred)


def _mean_or_nan(values: np.ndarray) -> float:
    """Mean of the non-NaN values, NaN (without numpy's warning) when there are none."""
    kept = values[~np.isnan(values)]
    return float(kept.mean()) if kept.size else math.nan


def summarize_scores(scores: Iterable[ImageScores]) -> Dict[str, Union[float, int]]:
    """Mean Dice/IoU (fractions) and HD95/ASD over images, plus the empty-mask counts.

    ``n_empty_gt`` and ``n_empty_pred`` include the ``n_both_empty`` images;
    ``n_distance_excluded`` counts images left out of the HD95/ASD means (``'exclude'`` policy).
    """
    scores = list(scores)
    if not scores:
        raise ValueError('no images to summarize')
    column = {
        name: np.array([getattr(s, name) for s in scores], dtype=np.float64)
        for name in ('dice', 'iou', 'hd95', 'asd')
    }
    return dict(
        Dice=float(column['dice'].mean()),
        IoU=float(column['iou'].mean()),
        HD95=_mean_or_nan(column['hd95']),
        ASD=_mean_or_nan(column['asd']),
        n_images=len(scores),
        n_empty_gt=sum(s.empty_gt for s in scores),
        n_empty_pred=sum(s.empty_pred for s in scores),
        n_both_empty=sum(s.empty_gt and s.empty_pred for s in scores),
        n_distance_excluded=sum(s.distance_excluded for s in scores),
    )
