"""Prostate micro-ultrasound (MicroSegNet, Jiang et al. 2024) -> mmseg layout.

Release layout: ``{train,test}/micro_ultrasound_scans/*.nii.gz`` and
``{train,test}/expert_annotations/*.nii.gz``; a scan and its annotation are
paired by the last number in their names (``microUS_train_01`` <->
``expert_annotation_train_01``). Volumes are read by ``medical_io`` and cut into
slices along the last axis, transposed to (rows, columns) as SimpleITK shows
them, with the header's in-plane spacing; scans beyond 0..255 are min-max
rescaled to 8 bit per volume. Slices with an
empty annotation are dropped unless ``--keep-empty-slices``. Split: the
predefined test set; train patients are split 8:2 into train/val (seeded), by
patient, so slices of one patient never sit in two splits.
"""
import re
from functools import partial
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..image_io import apply_window, intensity_window
from .context import ConversionContext
from .errors import CorruptImageError, MaskSizeMismatchError, SourceLayoutError
from .masks import binarise_mask, check_same_size
from .medical_io import Frame
from .pairing import pair_by_key, require_dir
from .sample import LoadedPair, Sample, pair_spacing
from .source_files import source_frames, source_indices
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


def volume_window(frames: Sequence[Frame]) -> Optional[Tuple[float, float]]:
    """The 8-bit intensity window of a whole volume (``intensity_window`` of all its slices)."""
    low = min(float(f.array.min()) for f in frames)
    high = max(float(f.array.max()) for f in frames)
    return intensity_window(np.array([low, high], dtype=frames[0].array.dtype))


Windows = Dict[Path, Optional[Tuple[float, float]]]


def load_slice(scan: Path, annotation: Path, index: int, windows: Windows) -> LoadedPair:
    """Slice ``index`` (last axis) of a scan and its annotation as (rows, columns) arrays.

    The scan is mapped to 8 bit with one window per volume (computed once, kept in
    ``windows``), so slices stay comparable.
    """
    scan_frames = source_frames(scan)
    scan_frame, mask_frame = scan_frames[index], source_frames(annotation)[index]
    if scan not in windows:
        windows[scan] = volume_window(scan_frames)
    image = apply_window(scan_frame.array, windows[scan])
    mask, binarised = binarise_mask(mask_frame.array)
    check_same_size(image, mask, f'{scan}[z={index}]', f'{annotation}[z={index}]')
    spacing, source = pair_spacing(scan_frame, [mask_frame], scan, [annotation])
    return LoadedPair(
        image=image,
        mask=mask,
        mask_binarised=binarised,
        spacing_mm=spacing,
        spacing_source=source,
        image_format='nifti',
        mask_format='nifti')


def _volume_samples(ctx: ConversionContext, scan: Path, annotation: Path, subset: str,
                    fixed_split: Optional[str], keep_empty: bool, windows: Windows) -> List[Sample]:
    """One sample per kept slice of a patient; reads the annotation to find non-empty slices."""
    try:
        mask_frames = source_frames(annotation)
        scan_slices = len(source_indices(scan))
    except CorruptImageError as error:
        if not ctx.options.skip_corrupt:
            raise
        ctx.skip(Path(error.path), 'unreadable or corrupt file')
        return []
    if scan_slices != len(mask_frames):
        raise MaskSizeMismatchError(
            f'annotation {annotation} has {len(mask_frames)} slices but its scan {scan} has '
            f'{scan_slices}. Fix or remove the pair.')
    patient = f'{subset}_{volume_key(scan)}'
    samples = []
    for index, frame in enumerate(mask_frames):
        if not (keep_empty or frame.array.any()):
            continue
        samples.append(
            Sample(
                name=f'{scan.name[:-len(NIFTI)]}_{index:03d}',
                source=f'{ctx.relative(scan)}[z={index}]',
                load=partial(load_slice, scan, annotation, index, windows),
                group=f'patient {patient}',
                fixed_split=fixed_split))
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
    samples: List[Sample] = []
    windows: Windows = {}
    for subset, fixed_split in SUBSETS:
        scans = _index_volumes(require_dir(ctx.src / subset / SCANS, f'the {subset} scans'))
        annotations = _index_volumes(
            require_dir(ctx.src / subset / ANNOTATIONS, f'the {subset} expert annotations'))
        pairs = pair_by_key(scans, {k: [p] for k, p in annotations.items()}, ctx)
        for _, scan, (annotation, ) in pairs:
            samples += _volume_samples(ctx, scan, annotation, subset, fixed_split,
                                       keep_empty_slices, windows)
    return samples


SPEC = ConverterSpec(
    name='prostate',
    discover=discover_prostate,
    ratios=TRAIN_VAL_8_2,
    source_layout='{train,test}/micro_ultrasound_scans/*.nii.gz + '
    '{train,test}/expert_annotations/*.nii.gz',
    flags={'--keep-empty-slices': 'also keep slices whose annotation is empty'})
