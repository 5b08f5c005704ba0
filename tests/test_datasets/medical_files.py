"""Writers of small DICOM and NIfTI files for tests (pydicom / nibabel), with known spacing.

``from tests.test_datasets.medical_files import write_dicom, write_nifti_image``.
"""
from pathlib import Path
from typing import Optional, Sequence, Tuple

import numpy as np

US_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.6.1'
US_MULTIFRAME_STORAGE = '1.2.840.10008.5.1.4.1.1.3.1'


def _region(delta_cm: Tuple[float, float], units: int, box: Tuple[int, int, int, int]):
    """One SequenceOfUltrasoundRegions item: (row, col) deltas, unit code, (x0, y0, x1, y1)."""
    from pydicom.dataset import Dataset
    region = Dataset()
    region.RegionLocationMinX0, region.RegionLocationMinY0 = box[0], box[1]
    region.RegionLocationMaxX1, region.RegionLocationMaxY1 = box[2], box[3]
    region.PhysicalUnitsXDirection = units
    region.PhysicalUnitsYDirection = units
    region.PhysicalDeltaY, region.PhysicalDeltaX = delta_cm
    return region


def write_dicom(path: Path,
                pixels: np.ndarray,
                region_cm: Optional[Tuple[float, float]] = None,
                pixel_spacing_mm: Optional[Tuple[float, float]] = None,
                extra_regions: Sequence[Tuple[Tuple[float, float], int, Tuple[int, int, int,
                                                                              int]]] = (),
                photometric: Optional[str] = None,
                preamble: bool = True) -> Path:
    """Uncompressed ultrasound DICOM of ``pixels``: (H, W), (H, W, 3) RGB or (F, H, W[, 3]).

    ``region_cm`` = (row, col) PhysicalDeltaY/X in cm of one region covering the image;
    ``extra_regions`` adds (deltas, unit code, box) items; ``pixel_spacing_mm`` sets
    PixelSpacing (row\\col). 8-bit data for uint8 arrays, else 16-bit. Without
    ``preamble`` the file starts directly with the data set (no 'DICM' marker).
    """
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid
    pixels = np.asarray(pixels)
    colour = pixels.shape[-1] == 3 and pixels.ndim in (3, 4) and photometric != 'MONOCHROME2'
    frames = pixels.ndim - int(colour) == 3
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = US_MULTIFRAME_STORAGE if frames else US_IMAGE_STORAGE
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = 'US'
    ds.Rows, ds.Columns = pixels.shape[1:3] if frames else pixels.shape[:2]
    if frames:
        ds.NumberOfFrames = pixels.shape[0]
    ds.SamplesPerPixel = 3 if colour else 1
    ds.PhotometricInterpretation = photometric or ('RGB' if colour else 'MONOCHROME2')
    if colour:
        ds.PlanarConfiguration = 0
    bits = 8 if pixels.dtype == np.uint8 else 16
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = bits, bits, bits - 1, 0
    ds.PixelData = pixels.astype(np.uint8 if bits == 8 else np.uint16).tobytes()
    height, width = int(ds.Rows), int(ds.Columns)
    regions = [_region(region_cm, 3, (0, 0, width - 1, height - 1))] if region_cm else []
    regions += [_region(d, u, b) for d, u, b in extra_regions]
    if regions:
        ds.SequenceOfUltrasoundRegions = regions
    if pixel_spacing_mm:
        ds.PixelSpacing = [float(v) for v in pixel_spacing_mm]
    path.parent.mkdir(parents=True, exist_ok=True)
    if preamble:
        ds.save_as(path, enforce_file_format=True)
    else:
        ds.save_as(path, implicit_vr=False, little_endian=True)
    return path


def write_nifti_image(path: Path,
                      data: np.ndarray,
                      zooms: Sequence[float],
                      unit: Optional[str] = 'mm') -> Path:
    """NIfTI-1 file (.nii or .nii.gz by name) with voxel sizes ``zooms`` in ``unit``."""
    import nibabel as nib
    image = nib.Nifti1Image(np.asarray(data), np.diag(list(zooms)[:3] + [1.0] * (4 - len(zooms))))
    image.header.set_zooms(tuple(zooms))
    if unit:
        image.header.set_xyzt_units(unit)
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(image, str(path))
    return path
