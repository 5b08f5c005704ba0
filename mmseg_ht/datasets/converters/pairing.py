"""Finding image files, pairing images with masks by a shared key, and the samples of such pairs.

A file beside a sample that cannot be used is never reported as "missing": a
file of unknown type with the stem of an image or mask (``a.webp``), several
masks for one image and a mask without an image are each named with the reason
(an error, or skips with ``--skip-unpaired``); unusable files with another stem
(``notes.txt``) are skipped and listed in the report. Multi-frame DICOM files
and NIfTI volumes give one sample per frame/slice, paired with the same frame
of the mask file, or with a mask file per frame named like the output sample
(``cine_f003.png`` for frame 3 of ``cine.dcm``; frames without one are skipped).
"""
from collections import defaultdict
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from .context import ConversionContext, list_files
from .errors import CorruptImageError, SourceLayoutError
from .masks import mask_from_frame
from .sample import Sample, load_image_with_masks
from .source_files import (frame_names, is_image_file, is_system_file, pairing_stem, source_frame,
                           source_indices, unusable_reason)

SEVERAL_MASKS = 'several masks for one image'
EMPTY_FRAME = 'empty mask (--skip-empty-frames)'


def require_dir(path: Path, what: str) -> Path:
    """``path`` if it is a folder, else a ``SourceLayoutError`` saying what was expected there."""
    if not path.is_dir():
        raise SourceLayoutError(f'expected {what} at {path}, but there is no such folder')
    return path


def image_files(folder: Path) -> List[Path]:
    """Sorted files with a supported image extension directly inside ``folder`` (any case)."""
    return sorted(p for p in folder.iterdir() if is_image_file(p))


@dataclass
class FolderFiles:
    """The files of one folder: usable ones by pairing stem, and unusable ones with a reason."""

    by_stem: Dict[str, List[Path]] = field(default_factory=lambda: defaultdict(list))
    unusable: Dict[str, List[Tuple[Path, str]]] = field(default_factory=lambda: defaultdict(list))


def scan_folder(folder: Path, ctx: ConversionContext) -> FolderFiles:
    """Sort every file of ``folder`` into usable (by stem) or unusable (with the reason).

    Hidden and system files (``.DS_Store``, ``Thumbs.db``) are skipped and counted.
    """
    files = FolderFiles()
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        if is_system_file(path):
            ctx.skip(path, 'hidden or system file')
            continue
        reason = unusable_reason(path)
        if reason is None:
            files.by_stem[pairing_stem(path)].append(path)
        else:  # 'a.webp' stands beside 'a.png'
            files.unusable[path.stem].append((path, reason))
    return files


def index_by_stem(paths: Sequence[Path]) -> Dict[str, Path]:
    """Map pairing stem -> path; two files with one stem (``a.png``, ``a.jpg``) is an error."""
    index: Dict[str, Path] = {}
    clashes = []
    for path in paths:
        stem = pairing_stem(path)
        if stem in index:
            clashes.append(f'{index[stem]} and {path}')
        index[stem] = path
    if clashes:
        raise SourceLayoutError('several files share a name stem, so pairing is ambiguous:\n' +
                                list_files(clashes) + '\nKeep one file per stem.')
    return index


def pair_by_key(images: Mapping[str, Path], masks: Mapping[str, Sequence[Path]],
                ctx: ConversionContext) -> List[Tuple[str, Path, List[Path]]]:
    """(key, image, masks) for every key in both mappings, in key order.

    Unpaired files are reported through ``ctx.handle_unpaired`` (error or counted skip).
    """
    without_masks = [images[k] for k in sorted(images) if not masks.get(k)]
    without_images = [p for k in sorted(masks) if k not in images for p in masks[k]]
    ctx.handle_unpaired(without_masks, without_images)
    return [(k, images[k], list(masks[k])) for k in sorted(images) if masks.get(k)]


def _match_folders(
    images: FolderFiles, masks: FolderFiles
) -> Tuple[List[Tuple[str, Path, Path]], List[Path], List[Path], List[Tuple[Path, str]], List[Tuple[
        Path, str]]]:
    """(stem, image, mask) pairs, images without any mask file, masks without an image,
    unusable files beside a sample (same stem) and other unusable files, with reasons."""
    pairs, lonely_images, unusable = [], [], []
    image_index = index_by_stem([p for paths in images.by_stem.values() for p in paths])
    for stem, image in sorted(image_index.items()):
        candidates = masks.by_stem.get(stem, [])
        if len(candidates) == 1:
            pairs.append((stem, image, candidates[0]))
        elif candidates:
            unusable += [(p, f'{SEVERAL_MASKS} ({image.name})') for p in candidates]
            unusable.append((image, f'{SEVERAL_MASKS}: ' + ', '.join(p.name for p in candidates)))
        elif masks.unusable.get(stem):
            unusable.append((image, 'its mask cannot be used'))
        else:
            lonely_images.append(image)
    lonely_masks = [
        p for stem in sorted(masks.by_stem) if stem not in image_index for p in masks.by_stem[stem]
    ]
    stray = []
    for files in (images.unusable, masks.unusable):
        for stem in sorted(files):
            beside_sample = stem in image_index or stem in masks.by_stem
            (unusable if beside_sample else stray).extend(files[stem])
    return pairs, lonely_images, lonely_masks, unusable, stray


def _frame_pairs(ctx: ConversionContext, image: Path, mask: Path,
                 nifti_axis: int) -> Tuple[List[Optional[int]], Optional[str]]:
    """Frame indices shared by an image and its mask file, or why they do not match."""
    try:
        image_frames = source_indices(image, nifti_axis)
        mask_frames = source_indices(mask, nifti_axis)
    except CorruptImageError as error:
        if not ctx.options.skip_corrupt:
            raise
        ctx.skip(Path(error.path), 'unreadable or corrupt file')
        return [], None
    if image_frames != mask_frames:
        hint = ''
        if image_frames != [None]:
            first = pairing_stem(image) + frame_names(image, image_frames[0], nifti_axis)[0]
            hint = f' (or give one mask file per frame: {first}.png, ...)'
        return [], (f'frame count differs: {ctx.relative(image)} has {len(image_frames)} '
                    f'frame(s), {ctx.relative(mask)} {len(mask_frames)}{hint}')
    return image_frames, None


@dataclass
class FramePairs:
    """An image file and the mask file of each of its frames (one file for all frames, or
    one file per frame named like the output sample: ``cine_f003.png``)."""

    stem: str
    image: Path
    masks: Dict[Optional[int], Path]
    per_frame: bool = False


def _per_frame_masks(ctx: ConversionContext, lonely_images: List[Path], lonely_masks: List[Path],
                     nifti_axis: int) -> List[FramePairs]:
    """Multi-frame images without a mask file whose frames have masks of their own.

    The matched images and masks are removed from the two lists; frames without a
    mask are skipped with that reason.
    """
    found = []
    for image in list(lonely_images):
        stem = pairing_stem(image)
        candidates = {
            pairing_stem(m): m
            for m in lonely_masks if pairing_stem(m).startswith(f'{stem}_')
        }
        if not candidates:
            continue
        try:
            indices = [i for i in source_indices(image, nifti_axis) if i is not None]
        except CorruptImageError:
            if not ctx.options.skip_corrupt:
                raise
            ctx.skip(image, 'unreadable or corrupt file')
            lonely_images.remove(image)
            continue
        names = {stem + frame_names(image, i, nifti_axis)[0]: i for i in indices}
        masks = {names[name]: path for name, path in candidates.items() if name in names}
        if not masks:
            continue
        lonely_images.remove(image)
        for path in masks.values():
            lonely_masks.remove(path)
        for index in indices:
            if index not in masks:
                ctx.skip(
                    ctx.relative(image) + frame_names(image, index, nifti_axis)[1],
                    'frame without mask')
        found.append(FramePairs(stem, image, dict(sorted(masks.items())), per_frame=True))
    return found


def _annotated(ctx: ConversionContext, pair: FramePairs, nifti_axis: int) -> FramePairs:
    """``pair`` without the frames whose mask is empty (each skipped with that reason)."""
    kept = {}
    for index, mask_path in pair.masks.items():
        try:
            frame = source_frame(mask_path, None if pair.per_frame else index, nifti_axis)
        except CorruptImageError:
            if not ctx.options.skip_corrupt:
                raise
            ctx.skip(mask_path, 'unreadable or corrupt file')
            continue
        if mask_from_frame(frame, mask_path)[0].any():
            kept[index] = mask_path
        else:
            where = frame_names(pair.image, index, nifti_axis)[1]
            ctx.skip(ctx.relative(pair.image) + where, EMPTY_FRAME)
    return FramePairs(pair.stem, pair.image, kept, pair.per_frame)


def paired_samples(image_dir: Path,
                   mask_dir: Path,
                   ctx: ConversionContext,
                   prefix: str = '',
                   fixed_split: Optional[str] = None,
                   labels: Optional[Mapping[str, str]] = None,
                   groups: Optional[Mapping[str, str]] = None,
                   nifti_axis: int = 2,
                   skip_empty_frames: bool = False) -> List[Sample]:
    """Samples for a folder of images and a folder of masks with the same file stems.

    ``labels``/``groups`` map an image file name or stem to its class label / group.
    The frames of a multi-frame file share its label and group (the file, unless
    ``groups`` names one), so they never span two splits. ``skip_empty_frames``
    drops the frames of multi-frame files whose mask is empty (counted as skipped).
    """
    images, masks = scan_folder(image_dir, ctx), scan_folder(mask_dir, ctx)
    pairs, lonely_images, lonely_masks, unusable, stray = _match_folders(images, masks)
    for path, reason in stray:
        ctx.skip(path, reason)
    frame_pairs = []
    for stem, image, mask in pairs:
        indices, problem = _frame_pairs(ctx, image, mask, nifti_axis)
        if problem:
            unusable += [(image, problem), (mask, problem)]
        elif indices:
            frame_pairs.append(FramePairs(stem, image, {i: mask for i in indices}))
    frame_pairs += _per_frame_masks(ctx, lonely_images, lonely_masks, nifti_axis)
    ctx.handle_unpaired(lonely_images, lonely_masks, unusable)
    unusable_paths = {path for path, _ in unusable}
    samples = []
    for pair in sorted(frame_pairs, key=lambda p: p.stem):
        if pair.image in unusable_paths or set(pair.masks.values()) & unusable_paths:
            continue
        if skip_empty_frames and list(pair.masks) != [None]:
            pair = _annotated(ctx, pair, nifti_axis)
        group = _lookup(groups, pair.image)
        if group is None and list(pair.masks) != [None]:
            group = f'file {ctx.relative(pair.image)}'
        for index, mask in pair.masks.items():
            name_suffix, where = frame_names(pair.image, index, nifti_axis)
            samples.append(
                Sample(
                    name=f'{prefix}{pair.stem}{name_suffix}',
                    source=ctx.relative(pair.image) + where,
                    load=partial(load_image_with_masks, pair.image, [mask], index, nifti_axis,
                                 pair.per_frame),
                    label=_lookup(labels, pair.image),
                    group=group,
                    fixed_split=fixed_split))
    return samples


def _lookup(table: Optional[Mapping[str, str]], path: Path) -> Optional[str]:
    """Value for a file by its name, else by its stem; None when absent or empty."""
    if not table:
        return None
    return table.get(path.name) or table.get(pairing_stem(path)) or None
