"""What a converter discovers (``Sample``) and what loading one yields (``LoadedPair``)."""
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np

from .image_io import read_image
from .masks import check_same_size, merge_masks, read_mask


@dataclass
class LoadedPair:
    """An image (uint8, H x W) with its 0/1 mask and what was needed to get them."""

    image: np.ndarray
    mask: np.ndarray
    colour_dropped: bool = False
    mask_binarised: bool = False
    masks_merged: int = 1


@dataclass
class Sample:
    """One image/mask pair found in a release, loaded lazily by ``load``.

    ``name`` is the preferred output stem (made filesystem-friendly and unique
    later); ``source`` names the source file(s) relative to SRC. Samples sharing
    a ``group`` (a patient or case) always land in the same split; a set
    ``fixed_split`` (e.g. a predefined test set) is kept as is.
    """

    name: str
    source: str
    load: Callable[[], LoadedPair]
    label: Optional[str] = None
    group: Optional[str] = None
    fixed_split: Optional[str] = None

    @property
    def group_key(self) -> str:
        """The unit of splitting: the explicit group, or the sample itself."""
        return self.group if self.group is not None else self.source


def load_image_with_masks(image_path: Path, mask_paths: Sequence[Path]) -> LoadedPair:
    """Read an image and OR-merge its mask files after checking every mask's size."""
    image, colour_dropped = read_image(image_path)
    masks, binarised = [], False
    for mask_path in mask_paths:
        mask, needed_rule = read_mask(mask_path)
        check_same_size(image, mask, image_path, mask_path)
        masks.append(mask)
        binarised = binarised or needed_rule
    return LoadedPair(image=image, mask=merge_masks(masks), colour_dropped=colour_dropped,
                      mask_binarised=binarised, masks_merged=len(masks))
