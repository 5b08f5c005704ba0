"""Integration: convert real BUSI images, train 2 iterations and test via the real tools."""
import json

import cv2
import numpy as np
import pytest

from tests.conftest import run_tool

TINY = [
    'model.backbone.arch=mmseg_ht-tiny-vit16',
    'model.decode_head.in_channels=[64,64,64]',
    'model.decode_head.channels=32',
]
FAST_LOADERS = [
    f'{loader}.{key}' for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    for key in ('num_workers=0', 'persistent_workers=False')
]
SHORT = [
    'train_cfg.max_iters=2', 'train_cfg.val_interval=2', 'train_dataloader.batch_size=2',
    'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1'
]


@pytest.fixture(scope='module')
def trained_run(busi_mini_converted, tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('work')
    run_tool(
        'tools/train.py',
        'configs/ht/clip-ht_busi.py',
        '--work-dir',
        str(work_dir),
        '--cfg-options',
        *TINY,
        *FAST_LOADERS,
        *SHORT,
        env={'DATA_ROOT': str(busi_mini_converted)})
    return work_dir


def test_train_writes_checkpoints_and_logs_metrics(trained_run):
    assert (trained_run / 'iter_2.pth').is_file()
    assert list(trained_run.glob('best_Dice_iter_*.pth'))
    logs = list(trained_run.glob('*/vis_data/scalars.json'))
    assert logs, 'no scalar log written'
    lines = [json.loads(line) for line in logs[0].read_text().splitlines()]
    val = [line for line in lines if 'Dice' in line]
    assert val and {'Dice', 'IoU', 'HD95', 'ASD', 'n_images'} <= set(val[-1])


def test_test_tool_prints_metrics_and_writes_overlays(trained_run, busi_mini_converted, tmp_path):
    checkpoint = sorted(trained_run.glob('best_Dice_iter_*.pth'))[-1]
    show_dir, out_dir, pred_dir = tmp_path / 'overlays', tmp_path / 'out', tmp_path / 'pred'
    result = run_tool(
        'tools/test.py',
        'configs/ht/clip-ht_busi.py',
        str(checkpoint),
        '--work-dir',
        str(tmp_path),
        '--show-dir',
        str(show_dir),
        '--out',
        str(out_dir),
        '--pred-dir',
        str(pred_dir),
        '--cfg-options',
        *TINY,
        *FAST_LOADERS,
        'randomness.seed=7',
        env={'DATA_ROOT': str(busi_mini_converted)})
    output = result.stdout + result.stderr
    for column in ('Dice', 'IoU', 'HD95', 'ASD'):
        assert column in output
    n_test = len(list((busi_mini_converted / 'img_dir' / 'test').glob('*.png')))
    assert n_test >= 1
    assert len(list(show_dir.glob('*.png'))) == n_test
    per_image = (out_dir / 'per_image.csv').read_text().splitlines()
    assert len(per_image) == n_test + 1
    record = json.loads((tmp_path / 'test_results.json').read_text())
    results = record['metrics']
    assert 0.0 <= results['Dice'] <= 100.0 and results['n_images'] == n_test
    assert record['experiment'] == dict(
        method='HT',
        backbone='CLIP',
        dataset='BUSI',
        task='segmentation',
        ratio=1.0,
        ratio_seed=0,
        seed=7,
        config_name='clip-ht_busi')
    assert record['data']['img_dir'] == str(busi_mini_converted / 'img_dir' / 'test')
    assert record['data']['ann_dir'] == str(busi_mini_converted / 'ann_dir' / 'test')
    assert record['predictions'] == str(pred_dir)
    for image in (busi_mini_converted / 'img_dir' / 'test').glob('*.png'):
        mask = cv2.imread(str(pred_dir / image.name), cv2.IMREAD_UNCHANGED)
        assert mask.dtype == np.uint8 and set(np.unique(mask)) <= {0, 1}
        assert mask.shape == cv2.imread(str(image), cv2.IMREAD_UNCHANGED).shape[:2]


def test_missing_checkpoint_is_a_clear_error(busi_mini_converted, tmp_path):
    with pytest.raises(AssertionError, match='checkpoint not found'):
        run_tool(
            'tools/test.py',
            'configs/ht/clip-ht_busi.py',
            str(tmp_path / 'none.pth'),
            env={'DATA_ROOT': str(busi_mini_converted)})


def test_missing_data_root_names_the_converter(tmp_path):
    with pytest.raises(AssertionError, match='dataset_converters'):
        run_tool(
            'tools/train.py',
            'configs/ht/clip-ht_busi.py',
            '--work-dir',
            str(tmp_path),
            '--cfg-options',
            *TINY,
            *FAST_LOADERS,
            *SHORT,
            env={'DATA_ROOT': str(tmp_path / 'not_converted')})
