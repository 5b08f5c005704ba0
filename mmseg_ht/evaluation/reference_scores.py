"""Scores of trivial and classical predictors on a converted split: the floor a model must beat.

A segmentation number means little without the scores of predictors that learn nothing:
"no lesion anywhere" (all background), "lesion everywhere" (all foreground) and a dark
Otsu threshold inside the field of view (lesions in ultrasound are mostly hypo-echoic).
They are scored exactly like a model, per image at the original resolution with
``SurfaceMetric``'s default empty-mask policy (``score_image``), so the tables line up.
"""
from pathlib import Path
from typing import Dict, Iterator, Sequence, Tuple, Union

import cv2
import numpy as np

from .surface_distance import score_image, summarize_scores

GUESSES = ('all_background', 'all_foreground', 'otsu_dark')
GUESS_LABELS = {
    'all_background': 'all background (no lesion)',
    'all_foreground': 'all foreground (lesion everywhere)',
    'otsu_dark': 'Otsu threshold (darker than Otsu in the field of view)'
}


def iter_split(root: Union[str, Path], split: str) -> Iterator[Tuple[str, np.ndarray, np.ndarray]]:
    """(file name, gray uint8 image, 0/1 mask) of every pair in ``img_dir|ann_dir/<split>``."""
    root = Path(root)
    images = sorted((root / 'img_dir' / split).glob('*.png'))
    if not images:
        raise FileNotFoundError(f'no images in {root / "img_dir" / split}')
    for path in images:
        image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        mask = cv2.imread(str(root / 'ann_dir' / split / path.name), cv2.IMREAD_GRAYSCALE)
        if image is None or mask is None:
            raise FileNotFoundError(f'cannot read {path} or its mask in ann_dir/{split}')
        yield path.name, image, (mask > 0).astype(np.uint8)


def otsu_dark_mask(image: np.ndarray) -> np.ndarray:
    """Pixels darker than Otsu's threshold of the smoothed field of view (non-black area)."""
    smooth = cv2.GaussianBlur(image, (0, 0), 2.0)
    fov = cv2.erode((image > 0).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    if not fov.any():
        return np.zeros_like(image, dtype=np.uint8)
    threshold, _ = cv2.threshold(smooth[fov].reshape(-1, 1), 0, 255,
                                 cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return (fov & (smooth <= threshold)).astype(np.uint8)


def guess_mask(guess: str, image: np.ndarray) -> np.ndarray:
    """The prediction of one of :data:`GUESSES` for ``image``."""
    if guess == 'all_background':
        return np.zeros(image.shape[:2], np.uint8)
    if guess == 'all_foreground':
        return np.ones(image.shape[:2], np.uint8)
    if guess == 'otsu_dark':
        return otsu_dark_mask(image)
    raise ValueError(f'unknown guess {guess!r}; one of {GUESSES}')


def reference_scores(root: Union[str, Path],
                     split: str = 'test',
                     guesses: Sequence[str] = GUESSES) -> Dict[str, Dict[str, float]]:
    """Per guess: mean Dice/IoU (percent) and HD95/ASD (px) over the split, as SurfaceMetric."""
    scores = {guess: [] for guess in guesses}
    for _, image, mask in iter_split(root, split):
        for guess in guesses:
            scores[guess].append(score_image(guess_mask(guess, image), mask))
    summary = {}
    for guess, values in scores.items():
        result = summarize_scores(values)
        result['Dice'] *= 100.0
        result['IoU'] *= 100.0
        summary[guess] = result
    return summary
