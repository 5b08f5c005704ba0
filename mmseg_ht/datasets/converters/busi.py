"""BUSI (Breast Ultrasound Images, Al-Dhabyani et al. 2020) -> mmseg layout.

Release layout: ``benign/``, ``malignant/``, ``normal/`` holding ``benign (1).png``
with mask ``benign (1)_mask.png`` and, for multi-focal lesions, extra masks
``benign (1)_mask_1.png``, ``_mask_2.png`` (merged by logical OR). ``normal/`` is
excluded by default, as in the paper. Split: seeded 8:1:1, stratified by class.
"""
import re
from collections import defaultdict
from functools import partial
from pathlib import Path
from typing import Dict, List

from .context import ConversionContext
from .pairing import image_files, index_by_stem, pair_by_key, require_dir
from .sample import Sample, load_image_with_masks
from .source_files import pairing_stem
from .spec import ConverterSpec
from .splits import RANDOM_8_1_1

LESION_CLASSES = ('benign', 'malignant')
NORMAL = 'normal'
_MASK_NAME = re.compile(r'^(?P<stem>.+?)_mask(?:_(?P<index>\d+))?$')


def _class_samples(ctx: ConversionContext, label: str) -> List[Sample]:
    """Samples of one class folder: images paired with all their ``_mask*`` files."""
    folder = require_dir(
        ctx.src / label, f"the BUSI class folder '{label}/' "
        '(SRC_DIR must be the Dataset_BUSI_with_GT folder)')
    images, masks = [], defaultdict(list)
    for path in image_files(folder):
        match = _MASK_NAME.match(pairing_stem(path))
        if match:
            masks[match['stem']].append((int(match['index'] or 0), path))
        else:
            images.append(path)
    ordered: Dict[str, List[Path]] = {k: [p for _, p in sorted(v)] for k, v in masks.items()}
    return [
        Sample(
            name=stem,
            source=ctx.relative(image),
            label=label,
            load=partial(load_image_with_masks, image, mask_paths))
        for stem, image, mask_paths in pair_by_key(index_by_stem(images), ordered, ctx)
    ]


def discover_busi(ctx: ConversionContext, include_normal: bool = False) -> List[Sample]:
    """All BUSI samples; ``normal/`` images are kept (empty masks) or skipped with a reason."""
    samples = []
    for label in LESION_CLASSES:
        samples += _class_samples(ctx, label)
    if include_normal:
        samples += _class_samples(ctx, NORMAL)
    elif (ctx.src / NORMAL).is_dir():
        for path in image_files(ctx.src / NORMAL):
            if not _MASK_NAME.match(pairing_stem(path)):
                ctx.skip(path, "class 'normal' excluded (pass --include-normal to keep it)")
    return samples


SPEC = ConverterSpec(
    name='busi',
    discover=discover_busi,
    ratios=RANDOM_8_1_1,
    stratify_by_label=True,
    source_layout='Dataset_BUSI_with_GT/{benign,malignant,normal}/<class> (N).png + '
    '<class> (N)_mask[_K].png',
    flags={'--include-normal': "keep the 'normal' images (with empty masks); excluded by default"})
