"""Domain shifts of ultrasound images: another scanner's gain, speckle, blur and imaging depth.

Test-time adaptation needs a target that differs from the training data the
way another site does. ``shift_image`` applies, in this order:

- ``depth`` (>= 1): a deeper imaging depth shows the same anatomy smaller —
  the image is shrunk by 1/depth about the top centre (the probe face) and
  padded with black; masks move with it (nearest neighbour);
- ``attenuation`` (dB over the image depth): extra depth-dependent loss, a
  time-gain-compensation mismatch (darker with depth);
- ``gain``: overall brightness factor;
- ``blur`` (pixels): Gaussian point-spread widening (a lower-frequency probe);
- ``speckle``: multiplicative gamma noise of mean 1 and this standard deviation.

``make_shifted_dataset`` writes a shifted copy of a converted data set
(img_dir/, ann_dir/, labels.csv) with the settings in ``shift_info.json``.
"""
import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, Optional, Tuple, Union

import cv2
import numpy as np

SPLITS = ('train', 'val', 'test')


@dataclass(frozen=True)
class DomainShift:
    """Shift settings; the defaults change nothing."""

    gain: float = 1.0
    speckle: float = 0.0
    blur: float = 0.0
    depth: float = 1.0
    attenuation: float = 0.0

    def __post_init__(self) -> None:
        if self.gain <= 0 or self.speckle < 0 or self.blur < 0 or self.attenuation < 0:
            raise ValueError(f'shift needs gain > 0 and speckle, blur, attenuation >= 0: {self}')
        if self.depth < 1.0:
            raise ValueError(f'depth is a zoom-out factor >= 1 (deeper imaging), got {self.depth}')


def _zoom_out(array: np.ndarray, depth: float, interpolation: int) -> np.ndarray:
    """Shrink by 1/depth about the top centre, pad with zeros to the original size."""
    height, width = array.shape[:2]
    new_h, new_w = max(1, round(height / depth)), max(1, round(width / depth))
    small = cv2.resize(array, (new_w, new_h), interpolation=interpolation)
    out = np.zeros_like(array)
    left = (width - new_w) // 2
    out[:new_h, left:left + new_w] = small
    return out


def shift_image(image: np.ndarray,
                shift: DomainShift,
                rng: np.random.Generator,
                mask: Optional[np.ndarray] = None) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """The shifted uint8 image (gray or colour) and its moved mask (None stays None)."""
    if image.dtype != np.uint8:
        raise ValueError(f'shift_image expects a uint8 image, got {image.dtype}')
    if shift.depth > 1.0:
        image = _zoom_out(image, shift.depth, cv2.INTER_AREA)
        if mask is not None:
            mask = _zoom_out(mask, shift.depth, cv2.INTER_NEAREST)
    values = image.astype(np.float32)
    rows = np.linspace(0.0, 1.0, values.shape[0], dtype=np.float32)
    profile = 10.0**(-shift.attenuation * rows / 20.0) * shift.gain
    values *= profile.reshape(-1, *([1] * (values.ndim - 1)))
    if shift.blur > 0:
        values = cv2.GaussianBlur(values, (0, 0), sigmaX=shift.blur)
    if shift.speckle > 0:
        shape = 1.0 / shift.speckle**2  # gamma(k, 1/k): mean 1, std = speckle
        noise = rng.gamma(shape, 1.0 / shape, size=values.shape[:2]).astype(np.float32)
        values *= noise.reshape(*noise.shape, *([1] * (values.ndim - 2)))
    return np.clip(values, 0, 255).round().astype(np.uint8), mask


def make_shifted_dataset(src: Union[str, Path],
                         dst: Union[str, Path],
                         shift: DomainShift,
                         seed: int = 0) -> Dict[str, object]:
    """Write a shifted copy of the converted data set ``src`` to ``dst``; returns its info."""
    src, dst = Path(src), Path(dst)
    if not (src / 'img_dir').is_dir():
        raise FileNotFoundError(f'{src} has no img_dir/: give a converted data set (the output '
                                'of tools/dataset_converters/* or tools/make_phantom_dataset.py)')
    if dst.exists() and any(dst.iterdir()):
        raise FileExistsError(f'{dst} exists and is not empty: choose a new folder')
    rng = np.random.default_rng(seed)
    counts = {}
    for split in SPLITS:
        images = sorted((src / 'img_dir' / split).glob('*.png'))
        for path in images:
            image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
            if image is None or image.dtype != np.uint8:
                raise ValueError(f'{path}: not an 8-bit PNG the shift can read')
            mask_path = src / 'ann_dir' / split / path.name
            mask = cv2.imread(str(mask_path), cv2.IMREAD_UNCHANGED) if mask_path.is_file() else None
            shifted, moved = shift_image(image, shift, rng, mask)
            _write(dst / 'img_dir' / split / path.name, shifted)
            if moved is not None:
                _write(dst / 'ann_dir' / split / path.name, moved)
        counts[split] = len(images)
    for name in ('labels.csv', ):
        if (src / name).is_file():
            shutil.copy(src / name, dst / name)
    info = dict(source=str(src.resolve()), seed=seed, shift=asdict(shift), counts=counts)
    (dst / 'shift_info.json').write_text(json.dumps(info, indent=2) + '\n')
    return info


def _write(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), array):
        raise OSError(f'could not write {path}')
