"""Which files ``tools/infer.py`` reads, and how each becomes named 8-bit BGR images.

INPUT is one file, a folder (its image, DICOM and NIfTI files; files without an
extension are taken when their content is DICOM) or a glob pattern. Every file is read
with ``medical_io.read_frames`` (one reader for PNG/JPEG/BMP/TIFF 8/16-bit, gray/RGB,
GIF, DICOM and NIfTI) and converted like the training loader does (``to_bgr8``:
16-bit/float stretched to 0..255, gray to 3 channels). Multi-frame files give one image
per frame, named ``<stem>_frame<k>``.
"""
import glob
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from mmseg_ht.datasets.converters.medical_io import (EXTENSION_FORMATS, extension, read_frames,
                                                     sniff_format)
from mmseg_ht.datasets.image_io import to_bgr8


@dataclass
class InputImage:
    """One 2-D image to segment, with what its file says about the pixel size."""

    name: str  # unique output stem
    path: Path  # the source file
    frame_index: Optional[int]
    image: np.ndarray  # (H, W, 3) uint8 BGR
    spacing_mm: Optional[Tuple[float, float]]
    spacing_source: str  # medical_io's source ('none' when the file has none)
    source_format: str


def _wanted(path: Path) -> bool:
    if extension(path) in EXTENSION_FORMATS:
        return True
    if path.suffix:
        return False
    try:
        return sniff_format(path) == 'dicom'
    except OSError:
        return False


def collect_inputs(spec: str) -> List[Path]:
    """The files named by ``spec`` (file, folder or glob), sorted; an error if there are none."""
    path = Path(spec).expanduser()
    if path.is_file():
        return [path]
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and _wanted(p))
        where = f'folder {path}'
    else:
        files = sorted(Path(p) for p in glob.glob(str(path), recursive=True) if Path(p).is_file())
        where = f'pattern {spec}'
    if not files:
        raise FileNotFoundError(
            f'no input images found for {where}: give an image or DICOM file, a folder of '
            f'them ({", ".join(sorted(EXTENSION_FORMATS))} or DICOM without extension) or a '
            'glob pattern such as "scans/*.png".')
    return files


def unique_stems(paths: Sequence[Path]) -> Dict[Path, str]:
    """Output stem of every file: its stem, made unique with its extension and a counter."""
    names: Dict[Path, str] = {}
    taken = set()
    for path in paths:
        stem = path.name[:-len(extension(path))] if extension(path) else path.name
        candidate, counter = stem, 1
        if candidate in taken:
            candidate = f'{stem}_{extension(path).lstrip(".").replace(".", "_")}'
        while candidate in taken:
            counter += 1
            candidate = f'{stem}_{counter}'
        taken.add(candidate)
        names[path] = candidate
    return names


def read_input(path: Path, stem: str) -> List[InputImage]:
    """All frames of one file as ``InputImage`` (``DataValidationError`` if unreadable)."""
    frames = read_frames(path)
    images = []
    for frame in frames:
        name = stem if frame.frame_index is None else f'{stem}_frame{frame.frame_index}'
        images.append(
            InputImage(name, path, frame.frame_index, to_bgr8(frame.array, str(path)),
                       frame.spacing_mm, frame.spacing_source, frame.source_format))
    return images
