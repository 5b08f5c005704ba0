"""Reading 2-D frames and their physical pixel size from raster, DICOM and NIfTI files.

``read_frames(path)`` is the one reader of source pixel data: the converters and
``tools/infer.py`` use it. The format is decided by the file's content (magic
bytes); the extension only helps for DICOM files without the 128-byte preamble.

* PNG, JPEG, BMP, TIFF (single page), GIF (single frame; animated GIFs are an
  error): one frame, no spacing. Colour is in BGR order (OpenCV/mmcv),
  palette GIFs are expanded to their colours (gray palettes to one channel).
* DICOM: one frame per stored frame (``frame_index`` 0..N-1 for multi-frame
  files). MONOCHROME1 is inverted to MONOCHROME2, colour becomes BGR.
  Spacing: the ``SequenceOfUltrasoundRegions`` items in cm (unit code 3,
  ``PhysicalDeltaX/Y`` cm -> mm; the largest region when they differ), else
  ``PixelSpacing`` (mm, row\\col, also from the shared functional groups of
  enhanced multi-frame files), else none.
* NIfTI (.nii, .nii.gz, NIfTI-1/2): a 2-D image is one frame; a 3-D volume one
  frame per slice along ``nifti_axis``, transposed so rows run along the second
  remaining voxel axis (as ITK-SNAP/SimpleITK show slices). Spacing from the
  header zooms, converted to mm from the header's unit (unknown units are taken
  as mm and said so; the default pixdim of 1 without any unit counts as none).

Problems raise ``DataValidationError`` naming the file, what is wrong and what to do.
"""
import gzip
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
from PIL import Image

from ..image_io import DataValidationError, read_image_file

PathLike = Union[str, Path]
Spacing = Tuple[float, float]

NONE = 'none'
ULTRASOUND_REGION = 'DICOM ultrasound region'
PIXEL_SPACING = 'DICOM PixelSpacing'
NIFTI_HEADER = 'NIfTI header'

# Extension (lower case) -> format; content decides, these only name what is expected.
EXTENSION_FORMATS = {
    '.png': 'png',
    '.jpg': 'jpeg',
    '.jpeg': 'jpeg',
    '.bmp': 'bmp',
    '.tif': 'tiff',
    '.tiff': 'tiff',
    '.gif': 'gif',
    '.dcm': 'dicom',
    '.dicom': 'dicom',
    '.nii': 'nifti',
    '.nii.gz': 'nifti',
}
FORMATS = ('png', 'jpeg', 'bmp', 'tiff', 'gif', 'dicom', 'nifti')
SUPPORTED = 'PNG, JPEG, BMP, TIFF, GIF, DICOM (.dcm) or NIfTI (.nii/.nii.gz)'
# Recognised but unsupported content, named in the error.
_UNSUPPORTED_MAGIC = ((b'RIFF', 8, b'WEBP', 'WebP'), (b'\x00\x00\x00\x0cjP  ', 0, b'', 'JPEG 2000'),
                      (b'\xffO\xffQ', 0, b'', 'JPEG 2000 codestream'))
_CM = 3  # DICOM PhysicalUnits code for centimetres
_NIFTI_TO_MM = {'mm': 1.0, 'meter': 1000.0, 'micron': 0.001, 'unknown': 1.0}
_AXIS_NAMES = 'xyz'


@dataclass(frozen=True)
class Frame:
    """One 2-D image of a source file and what is known about its pixel size."""

    array: np.ndarray  # the pixel data as stored, (H, W) or (H, W, C), any dtype
    spacing_mm: Optional[Spacing]  # (row, col) physical pixel size in mm, or None
    spacing_source: str  # 'DICOM ultrasound region', 'DICOM PixelSpacing', 'NIfTI header', 'none'
    frame_index: Optional[int]  # frame of a multi-frame DICOM / NIfTI slice, None if single
    source_format: str  # one of FORMATS


def extension(path: PathLike) -> str:
    """Lower-case extension, with ``.nii.gz`` as one extension."""
    name = Path(path).name.lower()
    return '.nii.gz' if name.endswith('.nii.gz') else Path(name).suffix


def axis_letter(axis: int) -> str:
    """'x', 'y' or 'z' for NIfTI voxel axis 0, 1 or 2 (used in sample names)."""
    return _AXIS_NAMES[axis]


def _fail(path: PathLike,
          problem: str,
          remedy: str = 'Replace or remove the file.') -> DataValidationError:
    return DataValidationError(
        f'cannot read {path}: {problem}. {remedy}', path=str(path), problem=problem)


def _nifti_magic(head: bytes) -> bool:
    """Whether ``head`` starts a NIfTI-1 or NIfTI-2 single-file header (either byte order)."""
    if len(head) >= 348 and head[344:348] == b'n+1\x00':
        return int.from_bytes(head[:4], 'little') == 348 or int.from_bytes(head[:4], 'big') == 348
    return len(head) >= 8 and head[4:8] == b'n+2\x00' and (int.from_bytes(
        head[:4], 'little') == 540 or int.from_bytes(head[:4], 'big') == 540)


def _unsupported_content(head: bytes) -> Optional[str]:
    """Name of a recognised image format this reader does not support, else None."""
    for magic, offset, tag, name in _UNSUPPORTED_MAGIC:
        if head.startswith(magic) and head[offset:offset + len(tag)] == tag:
            return name
    return None


def sniff_format(path: PathLike) -> Optional[str]:
    """Format named by the file's first bytes (one of ``FORMATS``), or None if not recognised."""
    with open(path, 'rb') as handle:
        head = handle.read(352)
    if head[128:132] == b'DICM':  # first: the 128-byte preamble may itself look like a TIFF
        return 'dicom'
    if head.startswith(b'\x89PNG\r\n\x1a\n'):
        return 'png'
    if head.startswith(b'\xff\xd8\xff'):
        return 'jpeg'
    if head[:6] in (b'GIF87a', b'GIF89a'):
        return 'gif'
    if head[:4] in (b'II*\x00', b'MM\x00*', b'II+\x00', b'MM\x00+'):
        return 'tiff'
    if head[:2] == b'BM' and len(head) >= 26:
        return 'bmp'
    if head[:2] == b'\x1f\x8b':
        try:
            with gzip.open(path, 'rb') as handle:
                head = handle.read(352)
        except (OSError, EOFError):
            return None
    return 'nifti' if _nifti_magic(head) else None


def detect_format(path: PathLike) -> str:
    """The file's format by content (DICOM without preamble by extension), else an error."""
    try:
        fmt = sniff_format(path)
    except OSError as error:
        raise _fail(path, f'the file cannot be opened ({error})') from error
    if fmt is not None:
        return fmt
    if Path(path).stat().st_size == 0:
        raise _fail(path, 'the file is empty')
    if EXTENSION_FORMATS.get(extension(path)) == 'dicom':
        return 'dicom'  # DICOM without the 128-byte preamble: pydicom reads it with force=True
    with open(path, 'rb') as handle:
        other = _unsupported_content(handle.read(16))
    ext = extension(path) or 'none'
    if other:
        problem = f'{other} images are not supported (extension {ext})'
    elif ext in EXTENSION_FORMATS:
        problem = (f'the content is not {EXTENSION_FORMATS[ext].upper()} although the extension '
                   f'is {ext} (truncated, corrupt or mislabelled)')
    else:
        problem = f'unsupported file type (extension {ext}, content not recognised)'
    raise _fail(path, problem, f'Convert it to {SUPPORTED}, or remove it.')


def _n_frames(path: PathLike, fmt: str) -> int:
    """Number of frames/pages of a GIF or TIFF (1 for other raster formats)."""
    if fmt not in ('gif', 'tiff'):
        return 1
    try:
        with Image.open(path) as image:
            return int(getattr(image, 'n_frames', 1))
    except Exception as error:  # Pillow raises many exception types for bad files
        raise _fail(path, f'not a decodable {fmt.upper()} ({error})') from error


def _decode_gif(path: PathLike) -> np.ndarray:
    """First (only) frame of a GIF: gray (H, W) when the colours are gray, else BGR."""
    try:
        with Image.open(path) as image:
            image.load()
            rgb = np.asarray(image.convert('RGB'))
    except Exception as error:  # Pillow raises many exception types for bad files
        raise _fail(path, f'not a decodable GIF ({error})') from error
    if np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2]):
        return np.ascontiguousarray(rgb[..., 0])
    return np.ascontiguousarray(rgb[..., ::-1])


def _read_raster(path: PathLike, fmt: str) -> List[Frame]:
    """The single frame of a PNG/JPEG/BMP/TIFF/GIF file."""
    frames = _n_frames(path, fmt)
    if frames > 1:
        kind = 'an animated GIF' if fmt == 'gif' else 'a multi-page TIFF'
        raise _fail(
            path, f'{kind} with {frames} frames; one image per file is expected',
            'Save the frame you mean as a single image (or store the sequence as a '
            'multi-frame DICOM).')
    if fmt == 'gif':
        array = _decode_gif(path)
    else:
        try:
            array = read_image_file(path)
        except DataValidationError as error:
            raise _fail(path, f'not a decodable {fmt.upper()} image ({error.problem})') from error
    return [Frame(array, None, NONE, None, fmt)]


def _positive_pair(row: object, col: object) -> Optional[Spacing]:
    """(row, col) floats when both are finite and > 0, else None."""
    try:
        pair = (abs(float(row)), abs(float(col)))
    except (TypeError, ValueError):
        return None
    return pair if all(np.isfinite(v) and v > 0 for v in pair) else None


def _region_area(region) -> int:
    """Pixel area of an ultrasound region (0 when its location is missing)."""
    try:
        return ((int(region.RegionLocationMaxX1) - int(region.RegionLocationMinX0) + 1) *
                (int(region.RegionLocationMaxY1) - int(region.RegionLocationMinY0) + 1))
    except (AttributeError, TypeError, ValueError):
        return 0


def dicom_spacing(ds) -> Tuple[Optional[Spacing], str]:
    """(row, col) spacing in mm of a pydicom dataset and where it came from (module doc)."""
    regions = []
    for region in ds.get('SequenceOfUltrasoundRegions') or []:
        if (region.get('PhysicalUnitsXDirection') == _CM
                and region.get('PhysicalUnitsYDirection') == _CM):
            pair = _positive_pair(region.get('PhysicalDeltaY'), region.get('PhysicalDeltaX'))
            if pair:
                regions.append((_region_area(region), (pair[0] * 10.0, pair[1] * 10.0)))
    if regions:
        spacings = {tuple(round(v, 9) for v in s) for _, s in regions}
        if len(spacings) == 1:
            return regions[0][1], ULTRASOUND_REGION
        largest = max(regions, key=lambda item: item[0])[1]
        return largest, f'{ULTRASOUND_REGION} (largest of {len(regions)} with differing spacing)'
    candidates = [ds.get('PixelSpacing')]
    shared = ds.get('SharedFunctionalGroupsSequence')
    if shared:
        measures = shared[0].get('PixelMeasuresSequence')
        if measures:
            candidates.append(measures[0].get('PixelSpacing'))
    for value in candidates:
        if value is not None and len(value) == 2:
            pair = _positive_pair(value[0], value[1])
            if pair:
                return pair, PIXEL_SPACING
    return None, NONE


def _dicom_pixels(ds, path: PathLike) -> np.ndarray:
    """(frames, H, W[, C]) display-ready pixel array of a dataset (module doc)."""
    from pydicom.pixels import apply_color_lut
    if not any(tag in ds for tag in ('PixelData', 'FloatPixelData', 'DoubleFloatPixelData')):
        raise _fail(
            path, 'the DICOM file holds no image (no pixel data: a report, DICOMDIR '
            'or presentation state?)', 'Export the images themselves.')
    try:
        pixels = ds.pixel_array
    except Exception as error:  # decoders raise many exception types
        syntax = getattr(getattr(ds, 'file_meta', None), 'TransferSyntaxUID', None)
        name = getattr(syntax, 'name', syntax) or 'unknown'
        raise _fail(
            path, f'its pixel data cannot be decoded (transfer syntax {name}: {error})',
            'Re-export it uncompressed (e.g. gdcmconv --raw IN OUT) or install a '
            'decoder for that syntax (pylibjpeg).') from error
    frames = int(ds.get('NumberOfFrames', 1) or 1)
    photometric = str(ds.get('PhotometricInterpretation', 'MONOCHROME2')).upper()
    if photometric == 'PALETTE COLOR':
        pixels = apply_color_lut(pixels, ds)
    if frames == 1:
        pixels = pixels[None]
    if photometric == 'MONOCHROME1':
        low, high = int(pixels.min()), int(pixels.max())  # inverted: high values are dark
        pixels = (low + high - pixels.astype(np.int64)).astype(pixels.dtype)
    if pixels.ndim == 4:
        pixels = pixels[..., ::-1]  # pydicom gives RGB (YBR converted); BGR like OpenCV
    return np.ascontiguousarray(pixels)


def _load_dicom(path: PathLike, pixels: bool = True):
    """pydicom data set of ``path`` (without the pixel data unless ``pixels``)."""
    try:
        import pydicom
        from pydicom.errors import InvalidDicomError
    except ImportError as error:
        raise ImportError(f'reading the DICOM file {path} needs pydicom: pip install '
                          '-r requirements/runtime.txt (or pip install pydicom)') from error
    try:
        return pydicom.dcmread(str(path), force=True, stop_before_pixels=not pixels)
    except (InvalidDicomError, OSError, ValueError, EOFError, AttributeError) as error:
        raise _fail(path, f'not a readable DICOM file ({error})') from error


def _read_dicom(path: PathLike) -> List[Frame]:
    """One frame per stored DICOM frame, all with the file's spacing."""
    ds = _load_dicom(path)
    pixels = _dicom_pixels(ds, path)
    spacing, source = dicom_spacing(ds)
    indices = _dicom_indices(ds)
    return [Frame(frame, spacing, source, index, 'dicom') for index, frame in zip(indices, pixels)]


def _dicom_indices(ds) -> List[Optional[int]]:
    """Frame indices of a DICOM data set: [None] for a single frame, else 0..N-1."""
    frames = int(ds.get('NumberOfFrames', 1) or 1)
    return [None] if frames <= 1 else list(range(frames))


def nifti_spacing(zooms: Sequence[float], unit: str,
                  axes: Tuple[int, int]) -> Tuple[Optional[Spacing], str]:
    """(row, col) mm spacing of a slice whose rows/columns run along voxel ``axes``."""
    factor = _NIFTI_TO_MM.get(unit, 1.0)
    pair = _positive_pair(zooms[axes[0]] * factor, zooms[axes[1]] * factor)
    if pair is None or (unit == 'unknown' and pair == (1.0, 1.0)):
        return None, NONE
    known = unit != 'unknown'
    return pair, NIFTI_HEADER if known else f'{NIFTI_HEADER} (units unknown, taken as mm)'


def _load_nifti(path: PathLike):
    """nibabel image of ``path`` (header read, data not yet)."""
    import nibabel as nib
    try:
        return nib.load(str(path))
    except Exception as error:  # nibabel raises many exception types for bad files
        raise _fail(path, f'not a readable NIfTI file ({error})') from error


def _nifti_indices(path: PathLike, shape: Tuple[int, ...], axis: int) -> List[Optional[int]]:
    """Slice indices of a NIfTI image of ``shape`` (trailing 1s ignored): [None] if 2-D."""
    if axis not in (0, 1, 2):
        raise ValueError(f'nifti_axis must be 0, 1 or 2, got {axis}')
    shape = tuple(shape)
    while len(shape) > 3 and shape[-1] == 1:
        shape = shape[:-1]
    if len(shape) == 2:
        return [None]
    if len(shape) != 3:
        raise _fail(path, f'a NIfTI image of shape {shape}; 2-D images and 3-D volumes are '
                    'supported', 'Store one 3-D volume (or 2-D image) per file.')
    return list(range(shape[axis]))


def _read_nifti(path: PathLike, axis: int) -> List[Frame]:
    """One frame for a 2-D image, else one per slice along ``axis``."""
    image = _load_nifti(path)
    indices = _nifti_indices(path, image.shape, axis)
    try:
        data = np.asanyarray(image.dataobj).reshape(image.shape[:2 if indices == [None] else 3])
    except Exception as error:  # nibabel raises many exception types for bad files
        raise _fail(path, f'not a readable NIfTI file ({error})') from error
    zooms = [float(f'{z:.7g}') for z in image.header.get_zooms()]  # float32 in the header
    unit = image.header.get_xyzt_units()[0] or 'unknown'
    if indices == [None]:
        spacing, source = nifti_spacing(zooms, unit, (1, 0))
        return [Frame(np.ascontiguousarray(data.T), spacing, source, None, 'nifti')]
    first, second = (a for a in range(3) if a != axis)
    spacing, source = nifti_spacing(zooms, unit, (second, first))
    return [
        Frame(
            np.ascontiguousarray(np.take(data, index, axis=axis).T), spacing, source, index,
            'nifti') for index in range(data.shape[axis])
    ]


def frame_indices(path: PathLike, nifti_axis: int = 2) -> List[Optional[int]]:
    """The ``frame_index`` values ``read_frames`` returns, from the file header only."""
    fmt = detect_format(path)
    if fmt == 'dicom':
        return _dicom_indices(_load_dicom(path, pixels=False))
    if fmt == 'nifti':
        return _nifti_indices(path, _load_nifti(path).shape, nifti_axis)
    return [None]


def read_frames(path: PathLike, nifti_axis: int = 2) -> List[Frame]:
    """All 2-D frames of an image, DICOM or NIfTI file (see the module doc)."""
    if not Path(path).is_file():
        raise _fail(path, 'no such file', 'Check the path.')
    fmt = detect_format(path)
    if fmt == 'dicom':
        return _read_dicom(path)
    if fmt == 'nifti':
        return _read_nifti(path, nifti_axis)
    return _read_raster(path, fmt)
