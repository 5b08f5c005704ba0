"""Generic folder layout (LN-INT, LN-EXT, in-house sets) -> mmseg layout.

Source layout: ``SRC/images/*`` and ``SRC/masks/*`` with the same stems, in any
mix of PNG, JPEG, BMP, TIFF, GIF, DICOM (``.dcm`` or no extension) and NIfTI
(``.nii``/``.nii.gz``), the format decided by content (``medical_io``), and an
optional ``SRC/labels.csv`` with columns ``filename,label`` (filename with or
without extension) and, optionally, ``group`` (e.g. a patient id: images of one
group never span two splits). A multi-frame DICOM or a NIfTI volume gives one
sample per frame (``<stem>_f007``) or slice along ``--nifti-axis``
(``<stem>_z007``), paired with the same frame of its mask file; the frames of
one file share a split; ``--skip-empty-frames`` drops those with an empty mask.
The pixel spacing stored in DICOM/NIfTI headers goes to
``spacing.csv``. Split: seeded 8:1:1, stratified by label when labels exist;
``--all-test`` puts everything in the test split (external test sets such as LN-EXT).
"""
import csv
from pathlib import Path
from typing import Dict, List, Tuple

from .context import ConversionContext
from .errors import SourceLayoutError
from .pairing import paired_samples, require_dir
from .sample import Sample
from .spec import ConverterSpec
from .splits import RANDOM_8_1_1

LABELS_FILE = 'labels.csv'


def read_source_labels(path: Path) -> Tuple[Dict[str, str], Dict[str, str]]:
    """(labels, groups) by filename from a ``filename,label[,group]`` CSV (empty if absent)."""
    if not path.is_file():
        return {}, {}
    with open(path, newline='', encoding='utf-8-sig') as handle:
        reader = csv.DictReader(handle)
        columns = set(reader.fieldnames or ())
        if not {'filename', 'label'} <= columns:
            raise SourceLayoutError(f'{path} must have the columns filename,label '
                                    f'(and optionally group); found {sorted(columns)}')
        rows = [r for r in reader if (r.get('filename') or '').strip()]
    labels = {r['filename'].strip(): (r['label'] or '').strip() for r in rows}
    groups = {r['filename'].strip(): (r.get('group') or '').strip() for r in rows}
    return labels, groups


def discover_folder(ctx: ConversionContext,
                    all_test: bool = False,
                    nifti_axis: int = 2,
                    skip_empty_frames: bool = False) -> List[Sample]:
    """Samples of ``images/`` + ``masks/`` with the optional labels/groups."""
    if nifti_axis not in (0, 1, 2):
        raise SourceLayoutError(f'nifti_axis must be 0, 1 or 2 (a voxel axis), got {nifti_axis}')
    image_dir = require_dir(ctx.src / 'images', 'the image folder images/')
    mask_dir = require_dir(ctx.src / 'masks', 'the mask folder masks/')
    labels, groups = read_source_labels(ctx.src / LABELS_FILE)
    return paired_samples(
        image_dir,
        mask_dir,
        ctx,
        fixed_split='test' if all_test else None,
        labels=labels,
        groups=groups,
        nifti_axis=nifti_axis,
        skip_empty_frames=skip_empty_frames)


SPEC = ConverterSpec(
    name='folder',
    discover=discover_folder,
    ratios=RANDOM_8_1_1,
    stratify_by_label=True,
    source_layout='SRC/images/<stem>.<ext> + SRC/masks/<stem>.<ext> [+ SRC/labels.csv]; '
    'ext: png, jpg, bmp, tif, gif, dcm (or none), nii, nii.gz',
    flags={
        '--all-test':
        'put every image in the test split (external test sets, e.g. LN-EXT)',
        '--skip-empty-frames':
        'skip the frames/slices of multi-frame DICOMs and NIfTI '
        'volumes whose mask is empty (counted in the report)'
    },
    options={
        '--nifti-axis':
        dict(
            type=int,
            default=2,
            choices=(0, 1, 2),
            help='voxel axis along which NIfTI volumes are cut into '
            'slices (default 2, the last)')
    })
