"""True-positive / false-positive / false-negative overlays of a binary lesion prediction.

Colours are chosen to stay distinguishable under protanopia, deuteranopia and
tritanopia (checked with the Machado et al. 2009 simulation matrices):

* true positive  - bluish green ``RGB(0, 200, 140)``
* false positive - magenta      ``RGB(255, 0, 255)``
* false negative - yellow       ``RGB(255, 220, 0)``
* ground-truth outline - white, prediction outline - sky blue ``RGB(86, 180, 233)``
  (sky blue also fills the prediction when no ground truth is given).

A legend strip with the per-image Dice is appended below the image, so the
returned array is ``legend_height(W)`` rows taller than the input unless
``legend=False``.
"""
import math
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np

Colour = Tuple[int, int, int]


def _bgr(red: int, green: int, blue: int) -> Colour:
    """OpenCV colour tuple from RGB components."""
    return (blue, green, red)


TP_COLOUR = _bgr(0, 200, 140)
FP_COLOUR = _bgr(255, 0, 255)
FN_COLOUR = _bgr(255, 220, 0)
GT_OUTLINE_COLOUR = _bgr(255, 255, 255)
PRED_COLOUR = _bgr(86, 180, 233)
LEGEND_BACKGROUND = _bgr(24, 24, 24)
LEGEND_TEXT = _bgr(235, 235, 235)


def dice_score(pred: np.ndarray, gt: np.ndarray) -> float:
    """Dice of two binary masks; NaN when both are empty (nothing to overlap)."""
    pred, gt = np.asarray(pred) != 0, np.asarray(gt) != 0
    total = int(pred.sum()) + int(gt.sum())
    return float('nan') if total == 0 else 2.0 * float((pred & gt).sum()) / total


def legend_height(width: int) -> int:
    """Height in pixels of the legend strip drawn under an image ``width`` pixels wide."""
    return int(np.clip(width // 14, 18, 36))


def _as_bgr(image: np.ndarray) -> np.ndarray:
    """Copy of an 8-bit grey (H, W), (H, W, 1) or BGR (H, W, 3) image as BGR."""
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise TypeError(f'image must be uint8, got {image.dtype}')
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.ndim == 3 and image.shape[2] == 3:
        return image.copy()
    raise ValueError(f'image must be (H, W), (H, W, 1) or (H, W, 3), got {image.shape}')


def _as_mask(mask: np.ndarray, shape: Tuple[int, int], name: str) -> np.ndarray:
    """Boolean (H, W) mask (non-zero = foreground), checked against the image size."""
    mask = np.asarray(mask)
    if mask.ndim == 3 and mask.shape[0] == 1:
        mask = mask[0]
    if mask.shape != shape:
        raise ValueError(f'{name} has shape {mask.shape}, expected {shape} (the image size)')
    return mask != 0


def _blend(canvas: np.ndarray, region: np.ndarray, colour: Colour, alpha: float) -> None:
    """Tint ``region`` of ``canvas`` in place with ``colour`` at opacity ``alpha``."""
    if region.any():
        tinted = canvas[region].astype(np.float32) * (1.0 - alpha) + np.float32(colour) * alpha
        canvas[region] = np.clip(np.rint(tinted), 0, 255).astype(np.uint8)


def _outline(canvas: np.ndarray, mask: np.ndarray, colour: Colour) -> None:
    """Draw the outer and hole boundaries of ``mask`` on ``canvas`` in place."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    thickness = max(1, int(round(min(mask.shape) / 400)))
    cv2.drawContours(canvas, contours, -1, colour, thickness, lineType=cv2.LINE_8)


def _dice_text(pred: np.ndarray, gt: Optional[np.ndarray]) -> str:
    """Legend text summarising the agreement (or the predicted area without ground truth)."""
    if gt is None:
        return f'pred {int(pred.sum())} px'
    dice = dice_score(pred, gt)
    return 'Dice n/a (empty)' if math.isnan(dice) else f'Dice {dice:.3f}'


def _legend_entries(with_gt: bool) -> List[Tuple[str, Colour, bool]]:
    """(label, colour, is_outline) of the legend items for an overlay with or without GT."""
    if not with_gt:
        return [('pred', PRED_COLOUR, False)]
    return [('TP', TP_COLOUR, False), ('FP', FP_COLOUR, False), ('FN', FN_COLOUR, False),
            ('GT', GT_OUTLINE_COLOUR, True), ('pred', PRED_COLOUR, True)]


def _legend_strip(width: int, entries: Sequence[Tuple[str, Colour, bool]], text: str) -> np.ndarray:
    """Dark strip with colour swatches / outline marks, their labels and a right-aligned text."""
    height = legend_height(width)
    strip = np.full((height, width, 3), LEGEND_BACKGROUND, dtype=np.uint8)
    font, swatch, gap = cv2.FONT_HERSHEY_SIMPLEX, height // 2, max(3, height // 5)
    step = swatch + 2 * (gap // 2) + gap  # fixed space each entry takes besides its label
    fixed = gap + len(entries) * step + 2 * gap
    scale = height / 40.0
    words = sum(cv2.getTextSize(label, font, scale, 1)[0][0] for label, _, _ in entries)
    words += cv2.getTextSize(text, font, scale, 1)[0][0]
    scale *= float(np.clip((width - fixed) / max(words, 1), 0.2, 1.0))
    baseline = (height + cv2.getTextSize('Ag', font, scale, 1)[0][1]) // 2
    top = (height - swatch) // 2
    x = gap
    for label, colour, is_outline in entries:
        cv2.rectangle(strip, (x, top), (x + swatch - 1, top + swatch - 1), colour,
                      1 if is_outline else cv2.FILLED)
        x += swatch + gap // 2
        cv2.putText(strip, label, (x, baseline), font, scale, LEGEND_TEXT, 1, cv2.LINE_AA)
        x += cv2.getTextSize(label, font, scale, 1)[0][0] + gap + gap // 2
    text_width = cv2.getTextSize(text, font, scale, 1)[0][0]
    cv2.putText(strip, text, (max(x, width - text_width - gap), baseline), font, scale, LEGEND_TEXT,
                1, cv2.LINE_AA)
    return strip


def draw_error_overlay(image: np.ndarray,
                       pred: np.ndarray,
                       gt: Optional[np.ndarray] = None,
                       alpha: float = 0.45,
                       legend: bool = True) -> np.ndarray:
    """Colour TP / FP / FN pixels of a binary prediction over an 8-bit grey or BGR image.

    Without ``gt`` only the prediction is tinted. Outlines of GT and prediction keep the
    boundaries readable. Returns BGR uint8 of shape (H + legend_height(W), W, 3), or
    (H, W, 3) with ``legend=False``.
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f'alpha must be in [0, 1], got {alpha}')
    canvas = _as_bgr(image)
    shape = canvas.shape[:2]
    pred = _as_mask(pred, shape, 'pred')
    gt = None if gt is None else _as_mask(gt, shape, 'gt')
    if gt is None:
        _blend(canvas, pred, PRED_COLOUR, alpha)
    else:
        _blend(canvas, pred & gt, TP_COLOUR, alpha)
        _blend(canvas, pred & ~gt, FP_COLOUR, alpha)
        _blend(canvas, ~pred & gt, FN_COLOUR, alpha)
    _outline(canvas, pred, PRED_COLOUR)
    if gt is not None:
        _outline(canvas, gt, GT_OUTLINE_COLOUR)
    if not legend:
        return canvas
    strip = _legend_strip(shape[1], _legend_entries(gt is not None), _dice_text(pred, gt))
    return np.vstack([canvas, strip])
