"""Optional cropping of the non-image frame around the ultrasound field of view.

1. Core: bright pixels (> 10 after a 5x5 median blur against JPEG noise), opened
   morphologically so that thin text overlays, calipers and rulers in the black
   frame vanish. Its largest connected region is the field of view; regions at
   least a tenth of its size join it (a dark acoustic shadow can split the
   field of view into pieces).
2. Growth: the core box grows row by row and column by column while at least
   80 % of the new line is non-black (> 0 after the blur), so dark deep tissue
   and shadows at the edge of the field of view are kept, while the frame with
   its sparse text is not.

The mask is cropped identically, and the box is grown whenever it would cut
foreground pixels (the report lists those images).
"""
from dataclasses import dataclass, replace
from typing import Optional, Tuple

import cv2
import numpy as np

CORE_THRESHOLD = 10  # blurred gray levels above this are clearly image content
MIN_AREA_FRACTION = 0.05  # a smaller largest region is not trusted as the field of view
MIN_PIECE_FRACTION = 0.1  # regions this large (relative to the largest) join the core
LINE_FILL = 0.8  # share of non-black pixels for a row/column to join the box


@dataclass(frozen=True)
class CropBox:
    """Pixel box ``[y0:y1, x0:x1]`` (end exclusive)."""

    y0: int
    y1: int
    x0: int
    x1: int

    def union(self, other: 'CropBox') -> 'CropBox':
        """Smallest box holding both boxes."""
        return CropBox(
            min(self.y0, other.y0), max(self.y1, other.y1), min(self.x0, other.x0),
            max(self.x1, other.x1))


@dataclass(frozen=True)
class CropOutcome:
    """What cropping did to one image: the box used, and whether it had to grow for the mask."""

    box: Optional[CropBox]
    cropped: bool
    expanded_for_mask: bool


def _core_box(blurred: np.ndarray) -> Optional[CropBox]:
    """Box around the large bright regions of the opened image, or None if there are none."""
    height, width = blurred.shape
    size = max(3, (min(height, width) // 60) | 1)
    bright = (blurred > CORE_THRESHOLD).astype(np.uint8)
    opened = cv2.morphologyEx(bright, cv2.MORPH_OPEN, np.ones((size, size), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(opened, connectivity=8)
    if count <= 1:
        return None
    areas = stats[1:, cv2.CC_STAT_AREA]
    if areas.max() < MIN_AREA_FRACTION * height * width:
        return None
    box = None
    for x, y, w, h, area in stats[1:]:
        if area >= MIN_PIECE_FRACTION * areas.max():
            piece = CropBox(int(y), int(y + h), int(x), int(x + w))
            box = piece if box is None else box.union(piece)
    return box


def _grow(box: CropBox, non_black: np.ndarray) -> CropBox:
    """Extend ``box`` by adjacent rows/columns that are mostly non-black, until stable."""
    height, width = non_black.shape
    while True:
        rows = non_black[:, box.x0:box.x1].mean(axis=1) >= LINE_FILL
        y0, y1 = box.y0, box.y1
        while y0 > 0 and rows[y0 - 1]:
            y0 -= 1
        while y1 < height and rows[y1]:
            y1 += 1
        cols = non_black[y0:y1].mean(axis=0) >= LINE_FILL
        x0, x1 = box.x0, box.x1
        while x0 > 0 and cols[x0 - 1]:
            x0 -= 1
        while x1 < width and cols[x1]:
            x1 += 1
        grown = replace(box, y0=y0, y1=y1, x0=x0, x1=x1)
        if grown == box:
            return box
        box = grown


def find_content_box(image: np.ndarray) -> Optional[CropBox]:
    """Bounding box of the field of view of a uint8 grayscale image, or None if not found."""
    blurred = cv2.medianBlur(image, 5)
    core = _core_box(blurred)
    return None if core is None else _grow(core, blurred > 0)


def mask_box(mask: np.ndarray) -> Optional[CropBox]:
    """Bounding box of the foreground of a 0/1 mask, or None when it is empty."""
    rows, cols = np.nonzero(mask)
    if rows.size == 0:
        return None
    return CropBox(int(rows.min()), int(rows.max()) + 1, int(cols.min()), int(cols.max()) + 1)


def crop_to_content(image: np.ndarray,
                    mask: np.ndarray) -> Tuple[np.ndarray, np.ndarray, CropOutcome]:
    """Crop image and mask to the field of view without losing any foreground pixel."""
    box = find_content_box(image)
    if box is None:
        return image, mask, CropOutcome(None, False, False)
    expanded = False
    foreground = mask_box(mask)
    if foreground is not None:
        grown = box.union(foreground)
        expanded = grown != box
        box = grown
    if box == CropBox(0, image.shape[0], 0, image.shape[1]):
        return image, mask, CropOutcome(box, False, expanded)
    region = (slice(box.y0, box.y1), slice(box.x0, box.x1))
    return (np.ascontiguousarray(image[region]), np.ascontiguousarray(mask[region]),
            CropOutcome(box, True, expanded))
