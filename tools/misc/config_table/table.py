"""The one table every leaf config under configs/ is written from.

Data sets x backbones x methods x tasks: each ``GRIDS`` row expands into one leaf
per (backbone, method, data set) and one test-only leaf per (backbone, method,
test-only set); ``templates.py`` knows how a task's leaf reads, ``one_offs.py``
holds the few leaves built on another leaf (retrieval, TTA, K-shot, demo).
Add a backbone, adapter or data set: write its ``configs/_base_`` file, add its
name here, run ``python tools/misc/generate_configs.py`` (configs/README.md).
Only the Python standard library: CI runs ``--check`` before any venv exists.
"""
from typing import Dict, NamedTuple, Tuple

# ------------------------------------------------------------------ axes
# configs/_base_/backbones/<name>.py (and cls/text_towers/<name>.py for the text tower).
BACKBONES = ('clip', 'metaclip', 'unimedclip', 'biomedclip')
# Backbones whose text tower is a local Hugging Face BiomedBERT folder (text_model_dir).
BERT_TEXT_TOWERS = ('unimedclip', 'biomedclip')
# configs/_base_/adapters/<name>.py
SEG_METHODS = ('frozen', 'lora', 'mona', 'ht', 'ht-ne', 'ht-ff')
CLS_METHODS = ('frozen', 'lora', 'mona', 'ht')
# Stage 1 (configs/finetune/); lora-vt: the lora leaf + LoRA on the text tower ("LoRA V+T").
STAGE1_METHODS = ('ht', 'lora', 'lora-vt')
# Zero-shot with stage-1 adapters loaded into the image tower (--checkpoint ADAPTERS).
ZERO_SHOT_ADAPTERS = ('ht', 'lora', 'mona')
# configs/_base_/datasets/<name>.py + schedules/<name>_200e.py (segmentation),
# configs/_base_/cls/datasets/<name>.py + cls/schedules/<name>_200e.py (classification).
SEG_DATASETS = ('busi', 'ddti', 'tn3k', 'prostate', 'ln-int')
CLS_DATASETS = ('busi', 'ln-int')
# mmseg_ht/prompts/<name>.json: the zero-shot prompt ensemble of each data set.
ZERO_SHOT_PROMPTS = {'busi': 'breast', 'ln-int': 'lymph_node'}
# CLIPSeg's text condition per data set.
CLIPSEG_PROMPTS = {
    'busi': 'a breast lesion in an ultrasound image',
    'ddti': 'a thyroid nodule in an ultrasound image',
    'tn3k': 'a thyroid nodule in an ultrasound image',
    'prostate': 'the prostate in a micro-ultrasound image',
    'ln-int': 'a lymph node in an ultrasound image',
}


class TestOnlySet(NamedTuple):
    """A data set only tested on: the ``source`` leaf's model evaluated on other images."""
    source: str  # the data set whose leaf is the _base_ (and whose checkpoint is tested)
    label: str  # dataset_name: the label in result tables
    data_root: str  # default of $DATA_ROOT
    about: str  # what the set is and how to convert it
    dataset_type: str = ''  # when the test set is read by another dataset class
    prompts: str = ''  # zero-shot: the prompt ensemble for it


TEST_ONLY_SETS = {
    'ln-ext':
    TestOnlySet(
        source='ln-int',
        label='LN-EXT',
        data_root='data/ln-ext',
        about='the external LN-EXT set, converted with tools/dataset_converters/folder.py '
        '--all-test'),
    'thyroid':
    TestOnlySet(
        source='ln-int',
        label='Thyroid',
        data_root='data/thyroid',
        about='any thyroid set with benign/malignant labels, converted with '
        'tools/dataset_converters/folder.py (SRC/labels.csv: filename,label)',
        dataset_type='UltrasoundClsDataset',
        prompts='thyroid'),
}

# ------------------------------------------------------------------ baselines
# The paper's other baselines (configs/baselines/): name -> (description, model base,
# extra lines; {prompt} is the data set's CLIPSeg prompt). The frozen CLIP baseline is
# configs/ht/clip-frozen_*.py.
SEG_BASELINES = {
    'unet': ('UNet (mmseg, trained from scratch)', 'unet_seg',
             'optim_wrapper = dict(optimizer=dict(lr={{_base_.optimizer_lr}}))\n'),
    'dinov2-frozen': ('frozen DINOv2 ViT-B/14 + multi-level agg. head', 'dinov2_seg',
                      "custom_imports = dict(imports=['mmseg_ht', 'mmpretrain.models'], "
                      'allow_failed_imports=False)\n'),
    'clip-clipseg': ('CLIPSeg decoder on frozen CLIP ViT-B/16', 'clipseg_seg',
                     "model = dict(decode_head=dict(prompts=['{prompt}']))\n"),
}
CLS_BASELINES = {
    'resnet18': ('ResNet-18 (mmpretrain) classifier', 'resnet18_cls', ''),
    'dinov2-frozen-cls': ('frozen DINOv2 ViT-B/14 + multi-level cls head', 'dinov2_cls', ''),
}

# ------------------------------------------------------------------ test-time adaptation
# tools/tta.py settings (the ``tta`` dict of a configs/tta/ leaf).
TTA_SETTINGS = ("dict(steps=10, lr=1e-4, batch_size=4, adapt_split='test', flip_weight=1.0, "
                'band=2.0)')


class TTALeaf(NamedTuple):
    """A configs/tta/ leaf: the leaf whose model it adapts, its comment, tools/tta.py settings."""
    adapts: str  # relative to configs/
    about: Tuple[str, ...]  # comment lines (usage included)
    settings: str = TTA_SETTINGS


TTA_LEAVES = {
    'clip-ht_busi':
    TTALeaf(
        'ht/clip-ht_busi.py',
        ('Test-time adaptation of the BUSI HT segmentor (configs/ht/clip-ht_busi.py) to another',
         'site/scanner, e.g. a shifted BUSI (tools/make_shifted_dataset.py):',
         '  python tools/tta.py configs/tta/clip-ht_busi.py CKPT data/busi-shifted \\',
         '      --out adapted.pth')),
    'clip-ht-cls_busi':
    TTALeaf(
        'cls/clip-ht_busi.py',
        ('Test-time adaptation of the BUSI HT classifier (configs/cls/clip-ht_busi.py): the guard',
         'watches the share of images predicted per class.',
         '  python tools/tta.py configs/tta/clip-ht-cls_busi.py CKPT data/busi-shifted \\',
         '      --out adapted.pth')),
    'clip-ht_phantom':
    TTALeaf('demo/clip-ht_phantom.py', (
        'Test-time adaptation of the phantom demo segmentor (configs/demo/clip-ht_phantom.py) to a',
        'shifted phantom:',
        '  python tools/make_shifted_dataset.py data/phantom data/phantom-shifted --gain 0.6 \\',
        '      --blur 2 --depth 1.3 --speckle 0.4 --attenuation 6',
        '  python tools/tta.py configs/tta/clip-ht_phantom.py CKPT data/phantom-shifted \\',
        '      --out adapted.pth',
        'Entropy + flip consistency on adapters and norms; stop if a class share leaves',
        '[ref/2, ref*2].')),
}


class Grid(NamedTuple):
    """One task's leaves: every backbone x method x data set (+ test-only sets)."""
    task: str  # a key of templates.TASKS; it names the folder under configs/
    backbones: Tuple[str, ...]
    methods: Tuple[str, ...]
    datasets: Tuple[str, ...]
    test_only: Tuple[str, ...] = ()


NO_BACKBONE = ('', )  # baselines: the model name is the whole stem prefix
NO_METHOD = ('', )  # zero-shot with the bare pretrained tower: '{backbone}_{dataset}'
GRIDS = (
    Grid('seg', BACKBONES, SEG_METHODS, SEG_DATASETS, test_only=('ln-ext', )),
    Grid('cls', BACKBONES, CLS_METHODS, CLS_DATASETS, test_only=('ln-ext', )),
    Grid('zero-shot', BACKBONES, NO_METHOD, CLS_DATASETS, test_only=('ln-ext', 'thyroid')),
    Grid('zero-shot', ('clip', ), ZERO_SHOT_ADAPTERS, CLS_DATASETS, test_only=('ln-ext', )),
    Grid('stage1', BACKBONES, STAGE1_METHODS, ('captions', )),
    Grid('coop', BACKBONES, ('coop', ), ('busi', )),
    Grid('seg-baseline', NO_BACKBONE, tuple(SEG_BASELINES), SEG_DATASETS, test_only=('ln-ext', )),
    Grid('cls-baseline', NO_BACKBONE, tuple(CLS_BASELINES), CLS_DATASETS, test_only=('ln-ext', )),
)

# Task -> folder under configs/ (several tasks may share one).
FOLDERS: Dict[str, str] = {
    'seg': 'ht',
    'cls': 'cls',
    'zero-shot': 'zero_shot',
    'stage1': 'finetune',
    'coop': 'coop',
    'seg-baseline': 'baselines',
    'cls-baseline': 'baselines',
}
