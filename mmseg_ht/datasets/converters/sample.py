"""What a converter discovers (``Sample``) and what loading one yields (``LoadedPair``)."""
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence, Tuple

import numpy as np

from ..image_io import to_gray8
from .errors import ConversionError
from .image_io import corrupt_file_error
from .masks import check_same_size, mask_from_frame, merge_masks
from .medical_io import Frame
from .source_files import source_frame

SPACING_TOLERANCE = 0.01  # image and mask spacings may differ by this fraction


@dataclass
class LoadedPair:
    """An image (uint8, H x W) with its 0/1 mask and what was needed to get them.

    ``spacing_mm`` is the (row, col) pixel size in mm when a source file stores one
    (``spacing_source`` says where it came from), ``image_format`` / ``mask_format``
    the formats the source files were read as (``medical_io.FORMATS``).
    """

    image: np.ndarray
    mask: np.ndarray
    colour_dropped: bool = False
    mask_binarised: bool = False
    masks_merged: int = 1
    spacing_mm: Optional[Tuple[float, float]] = None
    spacing_source: str = 'none'
    image_format: str = 'png'
    mask_format: Optional[str] = None  # None: the mask was drawn from annotations (DDTI XML)


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


def read_image(path: Path,
               frame_index: Optional[int] = None,
               nifti_axis: int = 2) -> Tuple[np.ndarray, bool, Frame]:
    """8-bit grayscale (H, W) image of (a frame of) a file, whether colour was dropped, and
    the frame (spacing, format)."""
    frame = source_frame(path, frame_index, nifti_axis)
    try:
        gray, colour_dropped = to_gray8(frame.array)
    except ValueError as error:
        raise corrupt_file_error(path, str(error)) from error
    return gray, colour_dropped, frame


def pair_spacing(image: Frame, masks: Sequence[Frame], image_path: Path,
                 mask_paths: Sequence[Path]) -> Tuple[Optional[Tuple[float, float]], str]:
    """The image's spacing, else the first mask's; an error when stored spacings disagree."""
    known = [(f, p) for f, p in zip([image, *masks], [image_path, *mask_paths])
             if f.spacing_mm is not None]
    if not known:
        return None, 'none'
    (first, first_path), others = known[0], known[1:]
    for frame, path in others:
        if not np.allclose(frame.spacing_mm, first.spacing_mm, rtol=SPACING_TOLERANCE):
            raise ConversionError(
                f'{path} has a pixel spacing of {frame.spacing_mm} mm ({frame.spacing_source}) '
                f'but {first_path} {first.spacing_mm} mm ({first.spacing_source}): the mask '
                'does not belong to this image or one header is wrong. Fix or remove the pair.')
    return first.spacing_mm, first.spacing_source


def load_image_with_masks(image_path: Path,
                          mask_paths: Sequence[Path],
                          frame_index: Optional[int] = None,
                          nifti_axis: int = 2,
                          per_frame_masks: bool = False) -> LoadedPair:
    """Read (frame ``frame_index`` of) an image and OR-merge its masks after checking every
    mask's size: the masks' same frames, or (``per_frame_masks``) single-image mask files
    of that frame. The spacing comes from the files' headers."""
    image, colour_dropped, image_frame = read_image(image_path, frame_index, nifti_axis)
    masks, frames, binarised = [], [], False
    for mask_path in mask_paths:
        frame = source_frame(mask_path, None if per_frame_masks else frame_index, nifti_axis)
        mask, needed_rule = mask_from_frame(frame, mask_path)
        check_same_size(image, mask, image_path, mask_path)
        masks.append(mask)
        frames.append(frame)
        binarised = binarised or needed_rule
    spacing, spacing_source = pair_spacing(image_frame, frames, image_path, mask_paths)
    return LoadedPair(
        image=image,
        mask=merge_masks(masks),
        colour_dropped=colour_dropped,
        mask_binarised=binarised,
        masks_merged=len(masks),
        spacing_mm=spacing,
        spacing_source=spacing_source,
        image_format=image_frame.source_format,
        mask_format=frames[0].source_format if frames else None)
