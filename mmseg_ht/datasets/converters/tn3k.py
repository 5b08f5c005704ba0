"""TN3K (thyroid nodules, Gong et al. 2021) -> mmseg layout.

Release layout: ``trainval-image/``, ``trainval-mask/``, ``test-image/``,
``test-mask/`` with JPEG images and JPEG or PNG 0/255 masks of the same stem.
JPEG masks carry compression noise and are binarised at 128 (value > 127).
Split: the predefined test set; trainval is split 8:2 into train/val (seeded).
Output stems are prefixed ``trainval_``/``test_`` because both subsets number
their files from 0000.
"""
from typing import List

from .context import ConversionContext
from .pairing import paired_samples, require_dir
from .sample import Sample
from .spec import ConverterSpec
from .splits import TRAIN_VAL_8_2

SUBSETS = (('trainval', None), ('test', 'test'))  # (folder prefix, fixed split)


def discover_tn3k(ctx: ConversionContext) -> List[Sample]:
    """Samples of both subsets; the test subset keeps its predefined split."""
    samples = []
    for subset, fixed_split in SUBSETS:
        image_dir = require_dir(ctx.src / f'{subset}-image', f'the TN3K {subset} images')
        mask_dir = require_dir(ctx.src / f'{subset}-mask', f'the TN3K {subset} masks')
        samples += paired_samples(
            image_dir, mask_dir, ctx, prefix=f'{subset}_', fixed_split=fixed_split)
    return samples


SPEC = ConverterSpec(
    name='tn3k',
    discover=discover_tn3k,
    ratios=TRAIN_VAL_8_2,
    source_layout='tn3k/{trainval,test}-image/NNNN.jpg + {trainval,test}-mask/NNNN.{jpg,png}')
