"""Source files as the converters see them: which are usable, their frames, cached reads.

Every converter reads pixel data through ``medical_io.read_frames`` via this
module, which turns its ``DataValidationError`` into the converters'
``CorruptImageError`` (so ``--skip-corrupt`` applies) and keeps the frames of
the last few files, because the samples of a multi-frame file or volume are
written one after another.
"""
from collections import OrderedDict
from pathlib import Path
from typing import List, Optional, Tuple, Union

from ..image_io import DataValidationError
from .errors import CorruptImageError
from .image_io import corrupt_file_error
from .medical_io import (EXTENSION_FORMATS, Frame, axis_letter, detect_format, extension,
                         frame_indices, read_frames)

PathLike = Union[str, Path]
CACHED_FILES = 4  # image + mask of the file being written, and one spare pair
SYSTEM_FILES = frozenset({'thumbs.db', 'desktop.ini'})  # and names starting with '.'

_cache: 'OrderedDict[Tuple[str, int], List[Frame]]' = OrderedDict()


def is_system_file(path: Path) -> bool:
    """Hidden files and the thumbnails/folder settings file managers leave behind."""
    return path.name.startswith('.') or path.name.lower() in SYSTEM_FILES


def pairing_stem(path: Path) -> str:
    """The name that pairs an image with its mask: without a known extension (``.nii.gz``
    counts as one); files of unknown extension (``IM_0001``, DICOM UIDs) keep their name."""
    ext = extension(path)
    return path.name[:-len(ext)] if ext in EXTENSION_FORMATS else path.name


def unusable_reason(path: Path) -> Optional[str]:
    """None for a file the converters can read (a known extension, or a recognised content),
    else why it cannot be used (e.g. 'WebP images are not supported (extension .webp)')."""
    if extension(path) in EXTENSION_FORMATS:
        return None  # read (and checked) when its sample is written
    try:
        detect_format(path)
    except DataValidationError as error:
        return error.problem
    return None


def is_image_file(path: Path) -> bool:
    """Whether ``path`` is a regular file with a supported image extension (any case)."""
    return path.is_file() and extension(path) in EXTENSION_FORMATS


def _converter_error(error: DataValidationError) -> CorruptImageError:
    return corrupt_file_error(error.path, error.problem)


def source_indices(path: Path, nifti_axis: int = 2) -> List[Optional[int]]:
    """Frame indices of a file ([None] for single images) from its header."""
    try:
        return frame_indices(path, nifti_axis)
    except DataValidationError as error:
        raise _converter_error(error) from error


def source_frames(path: PathLike, nifti_axis: int = 2) -> List[Frame]:
    """All frames of a file (cached; arrays read-only), ``CorruptImageError`` if unreadable."""
    key = (str(path), nifti_axis)
    if key in _cache:
        _cache.move_to_end(key)
        return _cache[key]
    try:
        frames = read_frames(path, nifti_axis)
    except DataValidationError as error:
        raise _converter_error(error) from error
    for frame in frames:
        frame.array.flags.writeable = False  # shared by the cache: copy before changing
    _cache[key] = frames
    while len(_cache) > CACHED_FILES:
        _cache.popitem(last=False)
    return frames


def source_frame(path: PathLike, index: Optional[int] = None, nifti_axis: int = 2) -> Frame:
    """Frame ``index`` of a file (None: its only frame; a multi-frame file is an error)."""
    frames = source_frames(path, nifti_axis)
    if index is None:
        if len(frames) != 1:
            raise corrupt_file_error(
                path, f'{len(frames)} frames where one image is expected '
                '(multi-frame files are read by the folder converter)')
        return frames[0]
    by_index = {frame.frame_index: frame for frame in frames}
    if index not in by_index:
        raise corrupt_file_error(path, f'it has no frame {index} (frames: {len(frames)})')
    return by_index[index]


def clear_cache() -> None:
    """Forget the cached frames (at the end of a conversion)."""
    _cache.clear()


def frame_names(path: Path, index: Optional[int], nifti_axis: int = 2) -> Tuple[str, str]:
    """(sample name suffix, source suffix) of a frame: ('', '') for a single image,
    ('_f007', '[frame 7]') for DICOM, ('_z007', '[z=7]') for a NIfTI slice along axis 2."""
    if index is None:
        return '', ''
    if detect_format(path) == 'nifti':
        letter = axis_letter(nifti_axis)
        return f'_{letter}{index:03d}', f'[{letter}={index}]'
    return f'_f{index:03d}', f'[frame {index}]'
