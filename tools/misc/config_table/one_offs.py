"""The leaves outside the grid: retrieval, test-time adaptation, K-shot head, the demo.

Each builds on another leaf (or, the demo, on the bases) and changes a few lines.
Standard library only (tools/misc/generate_configs.py runs before any venv).
"""
from typing import Tuple

from .table import TTA_LEAVES
from .templates import Leaf

RETRIEVAL_IMPORTS = (
    'custom_imports = dict(\n'
    "    imports=['mmseg_ht', 'mmseg_ht.classification', 'mmseg_ht.classification.retrieval'])\n")
RETRIEVAL_HOOKS = ('custom_hooks = [\n'
                   "    dict(type='WeightsOnlyCheckpointHook'),\n"
                   "    dict(type='RNGStateHook'),\n"
                   "    dict(type='NearestCasesHook', out_file='nearest_cases.jsonl')\n"
                   ']\n')

K_SHOT_HEAD = Leaf(
    'coop/clip-frozen-head-kshot_busi.py',
    ('The supervised counterpart of CoOp on the same K shots per class: the frozen CLIP image',
     "tower + the paper's classification head (configs/cls/clip-frozen_busi.py), trained on",
     'KShotDataset (train_dataloader.dataset.shots=K, .seed=S) with the CoOp iteration budget.'),
    ('cls/clip-frozen_busi.py', ), 'custom_imports = dict(\n'
    "    imports=['mmseg_ht', 'mmseg_ht.classification', 'mmseg_ht.classification.k_shot'])\n"
    "method_name = 'Frozen head (K-shot)'  # label in result tables\n"
    'max_iters = 200\n'
    'train_dataloader = dict(\n'
    '    dataset=dict(\n'
    '        _delete_=True,\n'
    "        type='KShotDataset',\n"
    '        shots=16,\n'
    '        seed=0,\n'
    '        dataset={{_base_.train_dataloader.dataset}}))\n'
    'train_cfg = dict(max_iters=max_iters, val_interval=50)\n'
    'param_scheduler = dict(T_max=max_iters, end=max_iters)\n'
    'default_hooks = dict(checkpoint=dict(interval=50, max_keep_ckpts=1))\n')

HT_KNN = Leaf(
    'retrieval/clip-ht-knn_busi.py',
    ('Retrieval-augmented classification: the HT classifier of configs/cls/clip-ht_busi.py,',
     'its softmax blended 50/50 with the votes of the 16 most similar confirmed cases.',
     '  python tools/train.py configs/cls/clip-ht_busi.py ...   (same model and state dict)',
     '  python tools/build_reference_bank.py configs/retrieval/clip-ht-knn_busi.py \\',
     '      --checkpoint CKPT --out bank.safetensors',
     '  python tools/test.py configs/retrieval/clip-ht-knn_busi.py CKPT \\',
     '      --cfg-options model.retrieval.bank=bank.safetensors',
     "WORK_DIR/nearest_cases.jsonl lists every test image's nearest reference cases."),
    ('cls/clip-ht_busi.py', ),
    RETRIEVAL_IMPORTS + "method_name = 'HT + kNN'  # label in result tables\n"
    'model = dict(\n'
    "    type='RetrievalClassifier',\n"
    '    retrieval=dict(\n'
    "        bank=None, mode='knn', k=16, temperature=0.1, weight=0.5, feature='pooled', show=5),\n"
    ')\n' + RETRIEVAL_HOOKS)

FROZEN_KNN = Leaf(
    'retrieval/clip-frozen-knn_busi.py',
    ('Retrieval-augmented classification on the frozen-CLIP classifier (the model of',
     'configs/cls/clip-frozen_busi.py): softmax blended 50/50 with kNN votes over the bank.'),
    (HT_KNN.path, ), "method_name = 'Frozen + kNN'  # label in result tables\n"
    'model = dict(backbone=dict(adapter=None))\n')

TIP_ADAPTER = Leaf(
    'retrieval/clip-tip_busi.py',
    ('Zero-shot prompt ensembles (configs/zero_shot/clip_busi.py) + a Tip-Adapter cache of',
     'confirmed cases: logits = 100 * cos(image, prompts) + alpha * exp(-beta (1 - cos)) @ labels.',
     '  python tools/build_reference_bank.py configs/retrieval/clip-tip_busi.py \\',
     '      --out bank.safetensors \\',
     '      --cfg-options model.backbone.pretrained=W model.text_encoder.pretrained=W',
     'Tested in-process by benchmarks/beyond_paper.py (tools/zero_shot.py accepts only the plain',
     'PromptEnsembleClassifier type).'), ('zero_shot/clip_busi.py', ),
    RETRIEVAL_IMPORTS + "method_name = 'Zero-shot + Tip-Adapter'  # label in result tables\n"
    'model = dict(\n'
    "    type='RetrievalZeroShotClassifier',\n"
    "    retrieval=dict(bank=None, mode='tip', alpha=1.0, beta=5.5, show=5))\n" + RETRIEVAL_HOOKS)


def tta_leaves() -> Tuple[Leaf, ...]:
    """configs/tta/: the adapted leaf + tools/tta.py's settings (table.TTA_LEAVES)."""
    return tuple(
        Leaf(f'tta/{stem}.py', row.about, (row.adapts, ), f'tta = {row.settings}\n')
        for stem, row in TTA_LEAVES.items())


DEMO = Leaf(
    'demo/clip-ht_phantom.py',
    ('`make demo`: HT on the built-in ultrasound phantom, a short CPU run that learns.',
     'No weights are downloaded, so the tower is randomly initialised; to learn in a few CPU',
     'minutes it is a small CLIP-style ViT instead of ViT-B/16: input 112 px (the 224-px phantom',
     'resized), patch 4 -> 28x28 tokens (8 px of the original image each), 4 blocks of width 128,',
     'maps of blocks 1/2/3 (as 3/6/9 of 12), HT adapters (bottleneck 64, as for ViT-B) after',
     "every block, the paper's head (reduce dim 128) and loss. Metrics are computed at the",
     'original 224 px. With CLIP weights use configs/ht/clip-ht_*.py and',
     'model.backbone.pretrained=FILE instead.'),
    ('_base_/models/clip_vit_seg.py', '_base_/datasets/phantom.py',
     '_base_/schedules/adamw_cosine.py', '_base_/default_runtime.py'), """\
method_name = 'HT'
backbone_name = 'demo-random-ViT'
input_size = 112
model = dict(
    data_preprocessor=dict(size=(input_size, input_size)),
    backbone=dict(
        arch=dict(
            _delete_=True,
            embed_dim=128,
            quick_gelu=True,
            vision_cfg=dict(
                image_size=input_size, layers=4, width=128, patch_size=4, head_width=32)),
        out_indices=(1, 2, 3),
        adapter=dict(
            type='HTAdapter',
            bottleneck=64,
            frequency_filter='spectral',
            noise_estimation=True,
            blocks='all')),
    decode_head=dict(in_channels=(128, 128, 128), channels=128))
train_pipeline = [
    dict(type='LoadImageFromFile', color_type='unchanged'),
    dict(type='CheckUltrasoundImage'),
    dict(type='LoadBinaryMask'),
    dict(type='Resize', scale=(input_size, input_size), keep_ratio=False),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', color_type='unchanged'),
    dict(type='CheckUltrasoundImage'),
    dict(type='Resize', scale=(input_size, input_size), keep_ratio=False),
    dict(type='LoadBinaryMask'),
    dict(type='PackSegInputs'),
]
max_iters = 400
# num_workers=0: on 2 cores, loader workers only compete with the model for the CPU.
train_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(
    num_workers=0, persistent_workers=False, dataset=dict(pipeline=test_pipeline))
train_cfg = dict(max_iters=max_iters, val_interval=100)
optim_wrapper = dict(optimizer=dict(lr=5e-3))
param_scheduler = dict(T_max=max_iters, end=max_iters)
default_hooks = dict(
    logger=dict(interval=20), checkpoint=dict(interval=max_iters, max_keep_ckpts=1))
""")


def one_off_leaves() -> Tuple[Leaf, ...]:
    """Every leaf outside table.GRIDS."""
    return (K_SHOT_HEAD, HT_KNN, FROZEN_KNN, TIP_ADAPTER, DEMO) + tta_leaves()
