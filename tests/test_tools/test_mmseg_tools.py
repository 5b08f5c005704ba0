"""mmseg's own tools (the copies its wheel ships) on configs/ht/clip-ht_busi.py, tiny towers.

get_flops.py, browse_dataset.py, test.py --out + confusion_matrix.py and benchmark.py run
unmodified through ``python -m mmseg_ht.mmseg_tools`` (once as a subprocess, the others
in-process through the same ``run_tool``) on a 64-px phantom data set; the FLOP handles
of ``mmseg_ht.analysis.flops`` are checked against the ViT's closed-form count.
"""
import json
import math
import re
import runpy

import cv2
import numpy as np
import pytest
import torch

import mmseg_ht  # noqa: F401  (stand-in mmcv.ops before anything imports mmseg)
from mmseg_ht.analysis.flops import segmentor_flops
from mmseg_ht.datasets.phantom import make_phantom_dataset
from mmseg_ht.mmseg_tools import ToolNotFoundError, find_tool, run_tool, tools_dir
from tests.conftest import REPO_ROOT
from tests.conftest import run_tool as run_subprocess
from tests.tiny_towers import TINY_OPENCLIP_ARCH

pytestmark = pytest.mark.usefixtures('one_torch_thread')

CONFIG = 'configs/ht/clip-ht_busi.py'
FROZEN_CONFIG = 'configs/ht/clip-frozen_busi.py'
TINY_MODEL = {
    'model.backbone.arch': 'mmseg_ht-tiny-vit16',  # 224 px, 10 blocks, width 64
    'model.decode_head.in_channels': [64, 64, 64],
    'model.decode_head.channels': 32
}
TINY = [f'{key}={value}' for key, value in TINY_MODEL.items()]  # as --cfg-options
MAIN_PROCESS_LOADER = ['test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False']
SIZE = 64  # phantom image side; the pipeline resizes to the tower's 224
NUM_TRAIN, NUM_TEST = 4, 3


@pytest.fixture(scope='module')
def phantom(tmp_path_factory):
    root = tmp_path_factory.mktemp('phantom')
    make_phantom_dataset(root, num_train=NUM_TRAIN, num_val=1, num_test=NUM_TEST, size=SIZE)
    return root


@pytest.fixture
def in_repo(phantom, monkeypatch):
    """Run tools as a user in the repository root would, with DATA_ROOT at the phantom."""
    monkeypatch.chdir(REPO_ROOT)
    monkeypatch.setenv('DATA_ROOT', str(phantom))
    monkeypatch.setenv('LOCAL_RANK', '0')  # mmseg's test.py sets it when missing


def build_segmentor(options: dict, config=REPO_ROOT / CONFIG):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    cfg = Config.fromfile(str(config))
    cfg.merge_from_dict(options)
    torch.manual_seed(0)
    return MODELS.build(cfg.model)


def test_tools_are_located_and_named_errors():
    folder = tools_dir()
    assert (folder / 'analysis_tools' / 'get_flops.py').is_file()
    assert find_tool('get_flops') == folder / 'analysis_tools' / 'get_flops.py'
    assert find_tool('analysis_tools/benchmark.py') == folder / 'analysis_tools' / 'benchmark.py'
    assert find_tool('test') == folder / 'test.py'
    with pytest.raises(ToolNotFoundError, match="no mmseg tool 'nope' in .*available: .*get_flops"):
        find_tool('nope')


def test_get_flops_cli_matches_the_mmengine_count(in_repo):
    result = run_subprocess('-m', 'mmseg_ht.mmseg_tools', 'get_flops', CONFIG, '--shape', '224',
                            '--cfg-options', *TINY)
    flops = re.search(r'Flops: (\S+)', result.stdout).group(1)
    params = re.search(r'Params: (\S+)', result.stdout).group(1)
    from mmengine.analysis.print_helper import _format_size
    model = build_segmentor(TINY_MODEL)
    count = segmentor_flops(model, (224, 224))
    assert count.mmengine > 0 and flops == _format_size(count.mmengine)
    assert params == _format_size(sum(p.numel() for p in model.parameters()))
    assert 'open-mmlab/mmsegmentation#3551' in result.stderr  # the 1.2.2 tool needed the fix


def vit_tower_flops(blocks: int, tokens: int = 197, width: int = 64, patch: int = 16) -> int:
    """Closed-form multiply-adds of an open_clip ViT running ``blocks`` blocks: patch
    embedding, pre-LN, per block q/k/v/out projections + MLP (12·N·D²), attention products
    (2·N²·D) and two LayerNorms (mmengine counts 5 per element)."""
    embed = (tokens - 1) * 3 * patch * patch * width
    block = 12 * tokens * width**2 + 2 * tokens**2 * width + 2 * 5 * tokens * width
    return embed + 5 * tokens * width + blocks * block


@pytest.mark.parametrize('out_indices, blocks', [((1, 2, 3), 4), ((3, 6, 9), 10)])
def test_complete_flops_of_the_tower_follow_the_closed_form(out_indices, blocks):
    """Two depths, frozen and HT: the tower's count is exact whether its attention ran fused
    (frozen, no grad anywhere) or on the slow path (after a trainable adapter)."""
    tokens, width = 197, 64
    for frozen in (True, False):
        config = REPO_ROOT / (FROZEN_CONFIG if frozen else CONFIG)
        options = {**TINY_MODEL, 'model.backbone.out_indices': out_indices}
        count = segmentor_flops(build_segmentor(options, config), (224, 224))
        assert count.by_module['backbone.tower'] == vit_tower_flops(blocks)
        assert count.mmengine > 0
        if frozen:  # fused attention: projections and products all missed by get_flops.py
            assert count.fft == 0
            assert count.attention == blocks * (4 * tokens * width**2 + 2 * tokens**2 * width)
        else:  # HT: 2 FFTs of a 14x14 grid per adapter, 64 channels
            per_fft = 1.25 * 196 * math.log2(196) * 64
            assert count.fft == pytest.approx(blocks * 2 * per_fft, abs=blocks)  # rounded per FFT
            assert count.attention > blocks * 2 * tokens**2 * width  # block 0 fused


def test_browse_dataset_writes_every_training_image_with_its_mask(in_repo, phantom, tmp_path):
    out = tmp_path / 'browse'
    run_tool('browse_dataset', [CONFIG, '--output-dir', str(out), '--not-show'])
    written = sorted(p.name for p in out.glob('*.png'))
    assert written == sorted(p.name for p in (phantom / 'img_dir' / 'train').glob('*.png'))
    lesions = 0
    for name in written:
        drawn = cv2.imread(str(out / name))  # BGR
        assert drawn.shape == (224, 224, 3)
        mask = cv2.imread(str(phantom / 'ann_dir' / 'train' / name), cv2.IMREAD_UNCHANGED)
        mask = cv2.resize(mask, (224, 224), interpolation=cv2.INTER_NEAREST)
        if mask.any():  # painted in the palette's lesion colour, red, at half opacity
            red = drawn[..., 2].astype(int) - drawn[..., 1] > 100
            # the training pipeline may have flipped the image and mask horizontally; the
            # class-name label (white text, black frame) hides part of the lesion
            flipped = max((mask, mask[:, ::-1]), key=lambda m: red[m == 1].mean())
            assert red[flipped == 1].mean() > 0.8 and red[flipped == 0].mean() < 0.05
            lesions += 1
    assert lesions >= 2


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp('ckpt') / 'tiny.pth'
    torch.save(dict(state_dict=build_segmentor(TINY_MODEL).state_dict(), meta=dict()), path)
    return path


def test_mmseg_test_out_feeds_confusion_matrix(in_repo, phantom, checkpoint, tmp_path):
    preds, plots = tmp_path / 'preds', tmp_path / 'plots'
    run_tool('test', [
        CONFIG,
        str(checkpoint), '--work-dir',
        str(tmp_path / 'work'), '--out',
        str(preds), '--cfg-options', *TINY, *MAIN_PROCESS_LOADER
    ])
    gt_files = sorted((phantom / 'ann_dir' / 'test').glob('*.png'))
    assert sorted(p.name for p in preds.iterdir()) == [p.name for p in gt_files]
    expected = np.zeros((2, 2), dtype=np.int64)
    for gt_file in gt_files:
        gt = cv2.imread(str(gt_file), cv2.IMREAD_UNCHANGED)
        pred = cv2.imread(str(preds / gt_file.name), cv2.IMREAD_UNCHANGED)
        assert pred.shape == gt.shape and set(np.unique(pred)) <= {0, 1}
        np.add.at(expected, (gt.ravel(), pred.ravel()), 1)

    run_tool('confusion_matrix', [CONFIG, str(preds), str(plots)])
    assert (plots / 'confusion_matrix.png').stat().st_size > 0
    # The tool's own counting function on the same inputs: every GT pixel counted once.
    tool = runpy.run_path(str(find_tool('confusion_matrix')), run_name='confusion_matrix')
    from mmengine.config import Config
    from mmseg.registry import DATASETS
    cfg = Config.fromfile(CONFIG)
    dataset = DATASETS.build({**cfg.test_dataloader.dataset, 'serialize_data': False})
    results = [cv2.imread(str(preds / p.name), cv2.IMREAD_UNCHANGED) for p in gt_files]
    counts = tool['calculate_confusion_matrix'](dataset, results)
    assert counts.sum() == NUM_TEST * SIZE * SIZE
    np.testing.assert_array_equal(counts, expected)


BENCHMARK_CONFIG = """
_base_ = [{base!r}]
# mmseg's benchmark.py times 200 test images: loop over the small test split.
test_dataloader = dict(num_workers=0, persistent_workers=False,
                       sampler=dict(type='InfiniteSampler', shuffle=False))
# A 32-px, 4-block tower so 200 forward passes take seconds.
test_dataloader.update(dataset=dict(pipeline=[
    dict(type='LoadUltrasoundImage'), dict(type='Resize', scale=(32, 32), keep_ratio=False),
    dict(type='LoadBinaryMask'), dict(type='PackSegInputs')]))
model = dict(data_preprocessor=dict(size=(32, 32)),
             backbone=dict(arch=dict(_delete_=True, **{arch!r}), out_indices=(1, 2, 3)),
             decode_head=dict(in_channels=[64, 64, 64], channels=32))
"""


def test_benchmark_prints_fps_on_cpu(in_repo, tmp_path, capsys):
    config = tmp_path / 'bench_clip-ht_busi.py'
    config.write_text(
        BENCHMARK_CONFIG.format(base=str(REPO_ROOT / CONFIG), arch=TINY_OPENCLIP_ARCH))
    checkpoint = tmp_path / 'bench.pth'  # benchmark.py skips a missing checkpoint silently
    torch.save(dict(state_dict=build_segmentor({}, config).state_dict()), checkpoint)
    work = tmp_path / 'bench'
    run_tool('benchmark',
             [str(config),
              str(checkpoint), '--work-dir',
              str(work), '--log-interval', '100'])
    output = capsys.readouterr().out
    fps = float(re.search(r'Overall fps: ([\d.]+) img / s', output).group(1))
    assert fps > 0 and 'Done image [200/ 200]' in output
    record = json.loads(next(work.glob('fps_*.json')).read_text())
    assert record['overall_fps_1'] == pytest.approx(fps, abs=0.01)
    assert record['average_fps'] == pytest.approx(fps, abs=0.01)
