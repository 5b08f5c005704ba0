"""Lesion measurements from a binary mask: connected lesions, area and diameters in mm.

Each 8-connected component of the mask is one lesion (two parts that touch only at a
corner are one lesion; parts separated by a background pixel are two). A pixel is a
``col_mm`` × ``row_mm`` rectangle, so the area is exact for the mask as drawn, and the
diameters are measured like calipers on the convex hull of the lesion's pixel corners,
after scaling columns by ``col_mm`` and rows by ``row_mm`` (anisotropic spacing):

* ``max_diameter``: the largest distance between two hull points (maximum Feret
  diameter; the long axis of BI-RADS / TI-RADS reports);
* ``perpendicular_diameter``: the longest chord of the hull perpendicular to that axis
  (the short axis measured across the lesion at right angles to the long one).

For an axis-aligned w × h pixel rectangle these are sqrt(w² + h²) and h·sqrt(w² + h²)/w
(w ≥ h); for a digitised ellipse, its two axes plus at most one pixel (whole edge
pixels count, as they are drawn). Without a spacing the mm
values are ``None`` and the pixel values (spacing 1 × 1) are still given.
"""
from dataclasses import dataclass
from typing import List, Optional, Tuple

import numpy as np
from scipy import ndimage
from scipy.spatial import ConvexHull

Spacing = Tuple[float, float]  # (row_mm, col_mm): height and width of one pixel
EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)


@dataclass
class LesionMeasurement:
    """One connected lesion. Pixel coordinates: x = column, y = row, 0-based pixel centres."""

    lesion: int
    area_px: int
    max_diameter_px: float
    perpendicular_diameter_px: float
    centroid_x: float
    centroid_y: float
    bbox: Tuple[int, int, int, int]  # x, y, width, height in pixels
    area_mm2: Optional[float] = None
    max_diameter_mm: Optional[float] = None
    perpendicular_diameter_mm: Optional[float] = None
    mean_probability: Optional[float] = None


def check_spacing(spacing: Optional[Spacing], what: str = 'spacing') -> Optional[Spacing]:
    """``spacing`` as two positive finite floats (row_mm, col_mm), or ValueError naming ``what``."""
    if spacing is None:
        return None
    values = tuple(float(v) for v in spacing)
    if len(values) != 2 or not all(np.isfinite(v) and v > 0 for v in values):
        raise ValueError(f'{what}: a pixel spacing must be two positive numbers '
                         f'(row_mm, col_mm), got {spacing!r}')
    return values


def _corner_hull(rows: np.ndarray, cols: np.ndarray, spacing: Spacing) -> np.ndarray:
    """Convex hull (counter-clockwise vertices, in mm) of the corners of the given pixels."""
    row_mm, col_mm = spacing
    corners = np.concatenate([
        np.stack([(cols + dx) * col_mm, (rows + dy) * row_mm], axis=1) for dx in (0.0, 1.0)
        for dy in (0.0, 1.0)
    ])
    corners = np.unique(corners, axis=0)
    return corners[ConvexHull(corners).vertices]


def _max_feret(hull: np.ndarray) -> Tuple[float, np.ndarray]:
    """Largest vertex-to-vertex distance of a convex polygon, and its unit direction."""
    deltas = hull[:, None, :] - hull[None, :, :]
    squared = (deltas**2).sum(axis=-1)
    i, j = np.unravel_index(int(np.argmax(squared)), squared.shape)
    length = float(np.sqrt(squared[i, j]))
    return length, deltas[i, j] / length


def _perpendicular_chord(hull: np.ndarray, axis: np.ndarray) -> float:
    """Longest chord of a convex polygon perpendicular to ``axis`` (a unit vector).

    The chord length is a concave, piecewise-linear function of the position along the
    axis, so its maximum lies at the position of a vertex: every vertex is tried.
    """
    normal = np.array([-axis[1], axis[0]])
    along, across = hull @ axis, hull @ normal
    start, end = np.arange(len(hull)), np.roll(np.arange(len(hull)), -1)
    a0, a1, c0, c1 = along[start], along[end], across[start], across[end]
    best = 0.0
    for position in along:
        lo, hi = np.minimum(a0, a1), np.maximum(a0, a1)
        hit = (lo <= position) & (position <= hi)
        span = a1[hit] - a0[hit]
        flat = np.abs(span) < 1e-12
        t = np.where(flat, 0.0, (position - a0[hit]) / np.where(flat, 1.0, span))
        points = c0[hit] + t * (c1[hit] - c0[hit])
        points = np.concatenate([points, c1[hit][flat]])
        if points.size:
            best = max(best, float(points.max() - points.min()))
    return best


def diameters(rows: np.ndarray, cols: np.ndarray, spacing: Spacing) -> Tuple[float, float]:
    """(max, perpendicular) caliper diameters of the pixels ``rows``/``cols`` under ``spacing``."""
    hull = _corner_hull(rows.astype(np.float64), cols.astype(np.float64), spacing)
    longest, axis = _max_feret(hull)
    return longest, _perpendicular_chord(hull, axis)


def measure_lesions(mask: np.ndarray,
                    spacing: Optional[Spacing] = None,
                    probability: Optional[np.ndarray] = None) -> List[LesionMeasurement]:
    """Measure every connected lesion of a 2-D mask (non-zero = lesion), largest first.

    ``spacing`` is (row_mm, col_mm) or None (mm values stay None); ``probability``
    (same shape as ``mask``) gives each lesion's mean lesion probability.
    """
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise ValueError(f'measure_lesions expects a 2-D mask, got shape {mask.shape}')
    spacing = check_spacing(spacing)
    if probability is not None and np.shape(probability) != mask.shape:
        raise ValueError(f'probability map {np.shape(probability)} and mask {mask.shape} differ')
    labels, _ = ndimage.label(mask != 0, structure=EIGHT_CONNECTED)
    lesions = []
    for index, box in enumerate(ndimage.find_objects(labels), start=1):
        region = labels[box] == index
        rows, cols = np.nonzero(region)
        rows, cols = rows + box[0].start, cols + box[1].start
        # Hull vertices are corners of edge pixels (those with a 4-neighbour outside).
        edge_rows, edge_cols = np.nonzero(region & ~ndimage.binary_erosion(region))
        edge_rows, edge_cols = edge_rows + box[0].start, edge_cols + box[1].start
        longest_px, across_px = diameters(edge_rows, edge_cols, (1.0, 1.0))
        lesion = LesionMeasurement(
            lesion=0,
            area_px=int(rows.size),
            max_diameter_px=longest_px,
            perpendicular_diameter_px=across_px,
            centroid_x=float(cols.mean()),
            centroid_y=float(rows.mean()),
            bbox=(int(box[1].start), int(box[0].start), int(box[1].stop - box[1].start),
                  int(box[0].stop - box[0].start)))
        if spacing is not None:
            lesion.area_mm2 = rows.size * spacing[0] * spacing[1]
            lesion.max_diameter_mm, lesion.perpendicular_diameter_mm = diameters(
                edge_rows, edge_cols, spacing)
        if probability is not None:
            lesion.mean_probability = float(np.asarray(probability)[rows, cols].mean())
        lesions.append(lesion)
    lesions.sort(key=lambda item: (-item.area_px, item.centroid_y, item.centroid_x))
    for number, lesion in enumerate(lesions, start=1):
        lesion.lesion = number
    return lesions
