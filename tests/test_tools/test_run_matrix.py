"""Experiment matrix: expansion of the paper's matrix, errors, dry run, and a real tiny run."""
import json
from pathlib import Path

import pytest

from mmseg_ht.analysis.experiment_matrix import MatrixError, load_matrix
from tests.conftest import REPO_ROOT, run_tool
from tests.test_tools.test_seg_tools import FAST_LOADERS, SHORT, TINY

PAPER = REPO_ROOT / 'configs' / 'experiments' / 'paper.yaml'


def test_paper_matrix_expands_to_existing_configs():
    tables = load_matrix(PAPER, REPO_ROOT)
    counts = {name: len(runs) for name, runs in tables.items()}
    assert counts['seg_main'] == 4 * 4 * 5 and counts['seg_ablation'] == 4 * 2 * 5
    assert counts['seg_few_shot'] == 4 * 7 * 3 and counts['cls_few_shot'] == 4 * 7 * 3
    assert counts['cls_main'] == 4 * 4 * 2
    assert counts['seg_baselines'] == 3 * 5 and counts['cls_baselines'] == 2 * 2
    for runs in tables.values():
        for run in runs:
            assert (REPO_ROOT / run.config).is_file()
            assert f'randomness.seed={run.seed}' in run.cfg_options
    names = [run.work_dir for runs in tables.values() for run in runs]
    assert len(names) == len(set(names)), 'two runs share a work dir'


def test_readme_example_matrix_expands():
    tables = load_matrix(REPO_ROOT / 'configs' / 'experiments' / 'busi_cpu_example.yaml', REPO_ROOT)
    assert {name: len(runs) for name, runs in tables.items()} == dict(clip=6, unet=2, few_shot=2)
    unet = tables['unet'][0]
    assert 'train_cfg.max_iters=300' in unet.cfg_options
    assert 'backbone_name=tiny-random-ViT' in tables['clip'][0].cfg_options


def test_few_shot_runs_set_ratio_and_subset_seed():
    runs = load_matrix(PAPER, REPO_ROOT)['seg_few_shot']
    run = next(r for r in runs if r.ratio == 0.05 and r.seed == 2 and 'clip-ht_' in r.config)
    assert run.name == 'clip-ht_busi_r0.05_s2'
    assert {
        'train_dataloader.dataset.ratio=0.05', 'train_dataloader.dataset.ratio_seed=2',
        'model.backbone.pretrained=weights/ViT-B-16.pt'
    } <= set(run.cfg_options)
    assert run.env == {'DATA_ROOT': 'data/busi'}
    assert '--pred-dir' in run.test_command('x.pth')


def test_external_test_set_uses_the_internal_run_checkpoint():
    tables = load_matrix(PAPER, REPO_ROOT)
    run = next(r for r in tables['seg_ln_ext'] if r.config.endswith('clip-ht_ln-ext.py'))
    assert not run.trains
    assert run.checkpoint_dir == 'work_dirs/paper/seg_main/clip-ht_ln-int_s0'
    cls_run = next(r for r in tables['cls_ln_ext'] if r.config.endswith('clip-ht_ln-ext.py'))
    assert cls_run.checkpoint_dir == 'work_dirs/paper/cls_main/clip-ht_ln-int_s0'
    assert '--pred-dir' not in cls_run.test_command('x.pth')
    clipseg = next(r for r in tables['seg_baselines'] if 'clip-clipseg_busi' in r.config)
    assert 'model.decode_head.text_encoder.pretrained=weights/ViT-B-16.pt' in clipseg.cfg_options
    unet = next(r for r in tables['seg_baselines_ln_ext'] if 'unet' in r.config)
    assert unet.checkpoint_dir == 'work_dirs/paper/seg_baselines/unet_ln-int_s0'


def write_matrix(path: Path, body: str) -> Path:
    path.write_text(body)
    return path


@pytest.mark.parametrize('body, message', [
    ("tables: {t: {config: 'configs/ht/{x}.py', grid: {y: [1]}}}", 'grid has no such key'),
    ("tables: {t: {config: 'configs/ht/none_{d}.py', grid: {d: [busi]}}}", 'does not exist'),
    ('tables: {t: {config: configs/ht/clip-ht_busi.py, ratios: [10]}}', 'ratio=0.1'),
    ('tables: {t: {config: configs/ht/clip-ht_busi.py, seed: [1]}}', "unknown keys \\['seed'\\]"),
    ('tables: {t: {config: configs/ht/clip-ht_busi.py, task: detection}}', 'task must be'),
    ('tabels: {}', 'needs a "tables" mapping'),
    ('tables: {t: {config: configs/ht/clip-ht_ln-ext.py, test_only_with: configs/ht/x.py}}',
     'no table of the matrix trains'),
])
def test_matrix_errors_name_the_problem(tmp_path, body, message):
    with pytest.raises(MatrixError, match=message):
        load_matrix(write_matrix(tmp_path / 'm.yaml', body), REPO_ROOT)


def test_dry_run_prints_commands_and_runs_nothing(tmp_path):
    matrix = write_matrix(
        tmp_path / 'm.yaml', f"""
work_root: {tmp_path / 'work'}
tables:
  t: {{config: 'configs/ht/clip-{{method}}_busi.py', grid: {{method: [ht, lora]}}, seeds: [0, 1]}}
""")
    result = run_tool('tools/run_matrix.py', str(matrix), '--cfg-options', 'a=1')
    lines = [line for line in result.stdout.splitlines() if line.startswith('python')]
    assert len(lines) == 8  # 4 runs x (train + test)
    assert lines[0] == (f'python tools/train.py configs/ht/clip-ht_busi.py --work-dir '
                        f'{tmp_path}/work/t/clip-ht_busi_s0 --cfg-options randomness.seed=0 a=1')
    assert 'dry run: nothing was executed' in result.stdout
    assert not (tmp_path / 'work').exists()
    with pytest.raises(
            AssertionError, match=r'failed \(2\):\n(.*\n)*run_matrix\.py: error: no table'):
        run_tool('tools/run_matrix.py', str(matrix), '--tables', 'nope')


def test_run_trains_tests_skips_done_runs_and_feeds_the_collector(busi_mini_converted, tmp_path):
    matrix = write_matrix(
        tmp_path / 'm.yaml', f"""
work_root: {tmp_path / 'work'}
data_roots: {{busi: {busi_mini_converted}}}
cfg_options: {json.dumps([*TINY, *FAST_LOADERS, *SHORT])}
tables:
  tiny: {{config: 'configs/ht/clip-ht_{{dataset}}.py', grid: {{dataset: [busi]}}, seeds: [0, 1]}}
""")
    run_tool('tools/run_matrix.py', str(matrix), '--run', timeout=900)
    for seed in (0, 1):
        work = tmp_path / 'work' / 'tiny' / f'clip-ht_busi_s{seed}'
        record = json.loads((work / 'test_results.json').read_text())
        assert record['experiment']['seed'] == seed and record['experiment']['method'] == 'HT'
        assert list((work / 'predictions').glob('*.png'))
    again = run_tool('tools/run_matrix.py', str(matrix), '--run')
    assert again.stdout.count('results exist, skipped') == 2
    table = run_tool('tools/analysis/collect_results.py', str(tmp_path / 'work' / 'tiny'))
    row = next(line for line in table.stdout.splitlines() if line.startswith('| HT | CLIP |'))
    assert ' ± ' in row and row.endswith('| 2 |')
