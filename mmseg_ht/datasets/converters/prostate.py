"""Prostate micro-ultrasound (MicroSegNet, Jiang et al. 2024) -> mmseg layout.

Release layout: ``{train,test}/micro_ultrasound_scans/*.nii.gz`` and
``{train,test}/expert_annotations/*.nii.gz``; a scan and its annotation are
paired by the last number in their names (``microUS_train_01`` <->
``expert_annotation_train_01``). Volumes are read with nibabel and cut into
slices along the last axis, transposed to (rows, columns) as SimpleITK shows
them; scans beyond 0..255 are min-max rescaled to 8 bit per volume. Slices with an
empty annotation are dropped unless ``--keep-empty-slices``. Split: the
predefined test set; train patients are split 8:2 into train/val (seeded), by
patient, so slices of one patient never sit in two splits.
"""
import re
from functools import partial
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

import nibabel as nib
import numpy as np

from .context import ConversionContext, ConvertOptions
from .errors import CorruptImageError, MaskSizeMismatchError, SourceLayoutError
from .image_io import apply_window, corrupt_file_error, intensity_window
from .pairing import pair_by_key, require_dir
from .masks import binarise_mask
from .pipeline import run_conversion
from .report import ConversionReport
from .sample import LoadedPair, Sample
from .spec import ConverterSpec
from .splits import TRAIN_VAL_8_2

SUBSETS = (('train', None), ('test', 'test'))  # (folder, fixed split)
SCANS, ANNOTATIONS = 'micro_ultrasound_scans', 'expert_annotations'
NIFTI = '.nii.gz'


def volume_key(path: Path) -> str:
    """Pairing key of a volume file: its last number (without leading zeros), else its stem."""
    stem = path.name[:-len(NIFTI)] if path.name.endswith(NIFTI) else path.stem
    numbers = re.findall(r'\d+', stem)
    return str(int(numbers[-1])) if numbers else stem


def read_volume(path: Path) -> np.ndarray:
    """3-D array of a NIfTI file in its stored dtype (trailing singleton axes dropped)."""
    try:
        volume = np.asanyarray(nib.load(str(path)).dataobj)
    except Exception as error:  # nibabel raises many exception types for bad files
        raise corrupt_file_error(path, f'not a readable NIfTI volume: {error}') from error
    while volume.ndim > 3 and volume.shape[-1] == 1:
        volume = volume[..., 0]
    if volume.ndim != 3:
        raise SourceLayoutError(f'{path} has shape {volume.shape}; expected a 3-D volume')
    return volume


class VolumeCache:
    """Keeps the volumes of the patient being written (its slices are written in a row)."""

    def __init__(self) -> None:
        self._paths: Tuple[Path, Path] = (Path(), Path())
        self._scan = self._annotation = np.empty((0, 0, 0))
        self._window: Optional[Tuple[float, float]] = None

    def get(self, scan: Path, annotation: Path
            ) -> Tuple[np.ndarray, Optional[Tuple[float, float]], np.ndarray]:
        """(scan, its 8-bit intensity window, annotation), loaded on first use."""
        if self._paths != (scan, annotation):
            self._scan, self._annotation = read_volume(scan), read_volume(annotation)
            self._window = intensity_window(self._scan)
            self._paths = (scan, annotation)
        return self._scan, self._window, self._annotation


def load_slice(cache: VolumeCache, scan: Path, annotation: Path, index: int) -> LoadedPair:
    """Slice ``index`` (last axis) of a scan and its annotation as (rows, columns) arrays.

    The scan is mapped to 8 bit with one window per volume, so slices stay comparable.
    """
    scan_volume, window, mask_volume = cache.get(scan, annotation)
    image = apply_window(np.ascontiguousarray(scan_volume[..., index].T), window)
    mask, binarised = binarise_mask(np.ascontiguousarray(mask_volume[..., index].T))
    return LoadedPair(image=image, mask=mask, mask_binarised=binarised)


def _volume_samples(ctx: ConversionContext, scan: Path, annotation: Path, subset: str,
                    fixed_split: Optional[str], keep_empty: bool,
                    cache: VolumeCache) -> List[Sample]:
    """One sample per kept slice of a patient; reads the annotation to find non-empty slices."""
    try:
        mask_volume = read_volume(annotation)
        scan_shape = nib.load(str(scan)).shape
    except CorruptImageError:
        if not ctx.options.skip_corrupt:
            raise
        ctx.skip(annotation, 'unreadable or corrupt file')
        return []
    except Exception as error:  # nibabel header errors on the scan
        if not ctx.options.skip_corrupt:
            raise corrupt_file_error(scan, f'not a readable NIfTI volume: {error}') from error
        ctx.skip(scan, 'unreadable or corrupt file')
        return []
    if tuple(scan_shape[:3]) != mask_volume.shape:
        raise MaskSizeMismatchError(
            f'annotation {annotation} has shape {mask_volume.shape} but its scan {scan} has shape '
            f'{tuple(scan_shape)}. Fix or remove the pair.')
    non_empty = (mask_volume != 0).reshape(-1, mask_volume.shape[-1]).any(axis=0)
    patient = f'{subset}_{volume_key(scan)}'
    samples = []
    for index in range(mask_volume.shape[-1]):
        if not (keep_empty or non_empty[index]):
            continue
        samples.append(Sample(
            name=f'{scan.name[:-len(NIFTI)]}_{index:03d}',
            source=f'{ctx.relative(scan)}[z={index}]',
            load=partial(load_slice, cache, scan, annotation, index),
            group=f'patient {patient}', fixed_split=fixed_split))
    return samples


def _index_volumes(folder: Path) -> Dict[str, Path]:
    """Volumes of a folder by pairing key; two files with one key is an error."""
    index: Dict[str, Path] = {}
    for path in sorted(folder.glob(f'*{NIFTI}')):
        key = volume_key(path)
        if key in index:
            raise SourceLayoutError(f'{index[key]} and {path} share the patient number {key}; '
                                    'cannot pair scans with annotations')
        index[key] = path
    return index


def discover_prostate(ctx: ConversionContext, keep_empty_slices: bool = False) -> List[Sample]:
    """Slices of every patient of both subsets."""
    cache = VolumeCache()
    samples = []
    for subset, fixed_split in SUBSETS:
        scans = _index_volumes(require_dir(ctx.src / subset / SCANS, f'the {subset} scans'))
        annotations = _index_volumes(require_dir(ctx.src / subset / ANNOTATIONS,
                                                 f'the {subset} expert annotations'))
        pairs = pair_by_key(scans, {k: [p] for k, p in annotations.items()}, ctx)
        for _, scan, (annotation,) in pairs:
            samples += _volume_samples(ctx, scan, annotation, subset, fixed_split,
                                       keep_empty_slices, cache)
    return samples


def convert_prostate(src: Union[str, Path], out: Union[str, Path],
                     options: ConvertOptions = ConvertOptions(),
                     keep_empty_slices: bool = False) -> ConversionReport:
    """Convert the MicroSegNet release at ``src`` into the mmseg layout at ``out``."""
    return run_conversion('prostate', src, out,
                          partial(discover_prostate, keep_empty_slices=keep_empty_slices),
                          options, TRAIN_VAL_8_2,
                          extra_options=dict(keep_empty_slices=keep_empty_slices))


SPEC = ConverterSpec(
    name='prostate', description=__doc__.splitlines()[0], convert=convert_prostate,
    source_layout='{train,test}/micro_ultrasound_scans/*.nii.gz + '
                  '{train,test}/expert_annotations/*.nii.gz',
    flags={'--keep-empty-slices': 'also keep slices whose annotation is empty'})
