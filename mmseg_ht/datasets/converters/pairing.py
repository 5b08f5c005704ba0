"""Finding image files, pairing images with masks by a shared key, and the samples of such pairs."""
from functools import partial
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from .context import ConversionContext, list_files
from .errors import SourceLayoutError
from .image_io import is_image_file
from .sample import Sample, load_image_with_masks


def require_dir(path: Path, what: str) -> Path:
    """``path`` if it is a folder, else a ``SourceLayoutError`` saying what was expected there."""
    if not path.is_dir():
        raise SourceLayoutError(f'expected {what} at {path}, but there is no such folder')
    return path


def image_files(folder: Path) -> List[Path]:
    """Sorted image files directly inside ``folder`` (extensions in any case)."""
    return sorted(p for p in folder.iterdir() if is_image_file(p))


def index_by_stem(paths: Sequence[Path]) -> Dict[str, Path]:
    """Map file stem -> path; two files with one stem (``a.png``, ``a.jpg``) is an error."""
    index: Dict[str, Path] = {}
    clashes = []
    for path in paths:
        if path.stem in index:
            clashes.append(f'{index[path.stem]} and {path}')
        index[path.stem] = path
    if clashes:
        raise SourceLayoutError('several files share a name stem, so pairing is ambiguous:\n'
                                + list_files(clashes) + '\nKeep one file per stem.')
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


def paired_samples(image_dir: Path, mask_dir: Path, ctx: ConversionContext, prefix: str = '',
                   fixed_split: Optional[str] = None,
                   labels: Optional[Mapping[str, str]] = None,
                   groups: Optional[Mapping[str, str]] = None) -> List[Sample]:
    """Samples for a folder of images and a folder of masks with the same file stems.

    ``labels``/``groups`` map an image file name or stem to its class label / group.
    """
    images = index_by_stem(image_files(image_dir))
    masks = {stem: [path] for stem, path in index_by_stem(image_files(mask_dir)).items()}
    samples = []
    for stem, image, mask_paths in pair_by_key(images, masks, ctx):
        samples.append(Sample(
            name=f'{prefix}{stem}', source=ctx.relative(image),
            load=partial(load_image_with_masks, image, mask_paths),
            label=_lookup(labels, image), group=_lookup(groups, image), fixed_split=fixed_split))
    return samples


def _lookup(table: Optional[Mapping[str, str]], path: Path) -> Optional[str]:
    """Value for a file by its name, else by its stem; None when absent or empty."""
    if not table:
        return None
    return table.get(path.name) or table.get(path.stem) or None
