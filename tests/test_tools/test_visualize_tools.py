"""tools/analysis/visualize.py: the qualitative grid and the training curves, on synthetic
work dirs (test_results.json + masks written here, mmengine-format scalars.json logs).

The happy paths run the CLI in a subprocess (one each: every start imports mmseg_ht,
several seconds); the error cases call the same ``main`` in-process.
"""
import importlib.util
import json
import sys

import cv2
import numpy as np
import pytest

import mmseg_ht  # noqa: F401  (stand-in mmcv.ops before anything imports mmseg)
from mmseg_ht.visualization import FN_COLOUR, FP_COLOUR, TP_COLOUR
from mmseg_ht.visualization.figure_grid import GAP, GridLayout, label_height, spread_evenly
from mmseg_ht.visualization.training_curves import figure_pixels, load_run_log
from tests.conftest import REPO_ROOT, run_tool

TOOL = 'tools/analysis/visualize.py'
STEMS = ['case_a', 'case_b', 'case_c', 'case_d', 'case_e']
H, W = 64, 96  # original image size; cells are 64 x 64, so x shrinks by 2/3
GREY = 100
CELL = 64


def _cli():
    """The tool's module (its ``main(argv)`` returns 2 on input errors, via ``cli_main``, which
    names the tool by ``sys.argv[0]``: the tests set it as the command line would)."""
    spec = importlib.util.spec_from_file_location('visualize_cli', REPO_ROOT / TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _masks():
    """GT and a shifted prediction; in 64 x 64 cell coordinates (rows 16:48) FN is x 16:32,
    TP x 32:48 and FP x 48:64. Dice at the original size: 0.5."""
    gt = np.zeros((H, W), np.uint8)
    gt[16:48, 24:72] = 1
    shifted = np.zeros((H, W), np.uint8)
    shifted[16:48, 48:96] = 1
    return gt, shifted


def _work_dir(root, name, method, backbone, data, predictions):
    """A work dir with a test_results.json as tools/test.py writes it."""
    work_dir = root / name
    work_dir.mkdir()
    record = dict(
        config=f'configs/{name}.py',
        checkpoint=str(work_dir / 'iter_10.pth'),
        experiment=dict(
            method=method,
            backbone=backbone,
            dataset='BUSI',
            task='segmentation',
            ratio=1.0,
            seed=0,
            config_name=name),
        data=data,
        predictions=predictions,
        metrics=dict(Dice=71.2, IoU=60.1, HD95=30.5, ASD=9.1))
    (work_dir / 'test_results.json').write_text(json.dumps(record))
    return work_dir


@pytest.fixture(scope='module')
def grid_dirs(tmp_path_factory):
    """Test set of 5 flat-grey images; run 'exact' predicts the GT, run 'shifted' a shifted
    square; plus broken work dirs (no record, predictions null, another data set)."""
    root = tmp_path_factory.mktemp('grid')
    img_dir, ann_dir = root / 'busi' / 'img_dir' / 'test', root / 'busi' / 'ann_dir' / 'test'
    exact_dir, shifted_dir = root / 'pred_exact', root / 'pred_shifted'
    for folder in (img_dir, ann_dir, exact_dir, shifted_dir):
        folder.mkdir(parents=True)
    gt, shifted = _masks()
    for stem in STEMS:
        assert cv2.imwrite(str(img_dir / f'{stem}.png'), np.full((H, W), GREY, np.uint8))
        assert cv2.imwrite(str(ann_dir / f'{stem}.png'), gt)
        assert cv2.imwrite(str(exact_dir / f'{stem}.png'), gt)
        assert cv2.imwrite(str(shifted_dir / f'{stem}.png'), shifted)
    data = dict(
        data_root=str(root / 'busi'),
        img_dir=str(img_dir),
        ann_dir=str(ann_dir),
        img_suffix='.png',
        seg_map_suffix='.png')
    other = dict(data, img_dir=str(root / 'other' / 'img'), ann_dir=str(root / 'other' / 'ann'))
    (root / 'other' / 'img').mkdir(parents=True)
    (root / 'other' / 'ann').mkdir()
    (root / 'empty').mkdir()
    return dict(
        exact=_work_dir(root, 'exact', 'HT', 'CLIP', data, str(exact_dir)),
        shifted=_work_dir(root, 'shifted', 'Linear', 'MedCLIP', data, str(shifted_dir)),
        no_preds=_work_dir(root, 'no_preds', 'HT', 'CLIP', data, None),
        other_data=_work_dir(root, 'other_data', 'HT', 'CLIP', other, str(exact_dir)),
        empty=root / 'empty',
        root=root)


def _tinted(colour, alpha=0.45):
    """BGR value of a GREY pixel tinted with ``colour`` (draw_error_overlay's blend)."""
    return np.rint(GREY * (1 - alpha) + np.asarray(colour, np.float64) * alpha)


def _pixel(figure, layout, row, column, y, x):
    top, left = layout.cell_origin(row, column)
    return figure[top + y, left + x].astype(np.float64)


def test_grid_cli_draws_rows_columns_and_error_colours(grid_dirs, tmp_path):
    out = tmp_path / 'figs' / 'grid.png'
    result = run_tool(TOOL, 'grid', str(grid_dirs['exact']), str(grid_dirs['shifted']), '--out',
                      str(out), '--num-images', '3', '--cell-size', str(CELL))
    assert 'images: case_a case_c case_e' in result.stdout  # spread evenly over 5 sorted stems
    figure = cv2.imread(str(out))
    assert figure is not None
    layout = GridLayout(rows=3, columns=4, cell_size=CELL)
    # header + gap + 3 rows with 2 gaps + gap + legend; 4 columns with 3 gaps
    assert figure.shape == (2 * label_height(CELL) + 2 * GAP + 3 * CELL + 2 * GAP,
                            4 * CELL + 3 * GAP, 3)
    assert figure.shape[:2] == (layout.height, layout.width)
    for row in range(3):
        assert np.allclose(_pixel(figure, layout, row, 0, 32, 32), GREY, atol=1)  # image
        assert np.all(_pixel(figure, layout, row, 1, 32, 32) == 255)  # GT: white lesion
        assert np.all(_pixel(figure, layout, row, 1, 4, 4) == 0)  # on black
        # 'exact' run: the whole lesion is TP, the background untouched
        for x in (20, 32, 44):
            assert np.allclose(_pixel(figure, layout, row, 2, 32, x), _tinted(TP_COLOUR), atol=2)
        assert np.allclose(_pixel(figure, layout, row, 2, 6, 56), GREY, atol=1)
        # 'shifted' run: FN left, TP middle, FP right
        assert np.allclose(_pixel(figure, layout, row, 3, 32, 24), _tinted(FN_COLOUR), atol=2)
        assert np.allclose(_pixel(figure, layout, row, 3, 32, 40), _tinted(TP_COLOUR), atol=2)
        assert np.allclose(_pixel(figure, layout, row, 3, 32, 56), _tinted(FP_COLOUR), atol=2)
    # header and legend rows carry text/swatches (not plain white)
    assert (figure[:layout.label_height] < 128).any()
    legend = figure[-layout.label_height:].reshape(-1, 3).astype(int)
    for colour in (TP_COLOUR, FP_COLOUR, FN_COLOUR):
        assert (np.abs(legend - colour).sum(axis=1) == 0).any(), colour


def test_grid_picks_images_and_labels(grid_dirs, tmp_path, capsys):
    out = tmp_path / 'one.png'
    code = _cli().main([
        'grid',
        str(grid_dirs['shifted']), '--out',
        str(out), '--images', 'case_d', '--labels', 'Ours', '--cell-size', '48'
    ])
    assert code == 0
    assert 'images: case_d' in capsys.readouterr().out
    layout = GridLayout(rows=1, columns=3, cell_size=48)
    assert cv2.imread(str(out)).shape == (layout.height, layout.width, 3)


def test_spread_evenly_is_deterministic():
    assert spread_evenly(list('abcdefghij'), 4) == ['a', 'd', 'g', 'j']
    assert spread_evenly(['a', 'b'], 4) == ['a', 'b']
    assert spread_evenly(['a', 'b', 'c'], 1) == ['a']


@pytest.mark.parametrize('case, expected', [
    ('empty', ['test_results.json not found', 'tools/test.py', '--pred-dir']),
    ('no_preds', ['"predictions": null', 'Re-run tools/test.py with --pred-dir']),
    ('other_data', ['different data sets', 'other']),
    ('missing_stem', ['no prediction for nope', 'nope.png', 'case_a']),
    ('missing_image', ['test image of \'case_b\' not found', 'case_b.png']),
])
def test_grid_input_errors_are_clear(grid_dirs, tmp_path, capsys, monkeypatch, case, expected):
    monkeypatch.setattr(sys, 'argv', [TOOL])
    out = str(tmp_path / 'x.png')
    argv = {
        'empty': ['grid', str(grid_dirs['empty'])],
        'no_preds': ['grid', str(grid_dirs['exact']),
                     str(grid_dirs['no_preds'])],
        'other_data': ['grid', str(grid_dirs['exact']),
                       str(grid_dirs['other_data'])],
        'missing_stem': ['grid', str(grid_dirs['exact']), '--images', 'nope'],
        'missing_image': None
    }[case]
    if case == 'missing_image':  # a prediction whose image was deleted from the data set
        data = dict(json.loads((grid_dirs['exact'] / 'test_results.json').read_text())['data'])
        img_dir = tmp_path / 'img'
        img_dir.mkdir()
        data['img_dir'] = str(img_dir)
        work_dir = _work_dir(tmp_path, 'run', 'HT', 'CLIP', data,
                             str(grid_dirs['root'] / 'pred_exact'))
        argv = ['grid', str(work_dir), '--images', 'case_b']
    assert _cli().main(argv + ['--out', out]) == 2
    err = capsys.readouterr().err
    assert err.startswith('visualize.py: error:'), err
    for text in expected:
        assert text in err, err


def test_label_count_must_match(grid_dirs, tmp_path):
    with pytest.raises(SystemExit):
        _cli().main([
            'grid',
            str(grid_dirs['exact']), '--out',
            str(tmp_path / 'x.png'), '--labels', 'a', 'b'
        ])


# ------------------------------------------------------------------------------------ curves
def _train_line(step, loss):
    return {
        'lr': 1e-4 / step,
        'data_time': 0.01,
        'loss': loss,
        'decode.loss_ce': loss / 2,
        'decode.loss_dice': loss / 2,
        'decode.acc_seg': 50.0,
        'time': 0.2,
        'iter': step,
        'step': step
    }


def _val_line(step, dice):
    return {
        'Dice': dice,
        'IoU': dice * 0.8,
        'HD95': 30.0,
        'ASD': 9.0,
        'n_images': 8,
        'data_time': 0.005,
        'time': 0.09,
        'step': step
    }


def _write_log(work_dir, timestamp, lines):
    folder = work_dir / timestamp / 'vis_data'
    folder.mkdir(parents=True)
    (folder / 'scalars.json').write_text(''.join(json.dumps(line) + '\n' for line in lines))


@pytest.fixture(scope='module')
def curve_dirs(tmp_path_factory):
    """'resumed': steps 1-6 then a run resumed from iteration 4 (steps 5-8, written later);
    'single': steps 1-8; plus a test-only timestamp folder without scalars.json."""
    root = tmp_path_factory.mktemp('curves')
    resumed, single = root / 'resumed', root / 'single'
    _write_log(resumed, '20240101_100000', [
        _train_line(1, 1.0),
        _train_line(2, 0.9),
        _val_line(2, 40.0),
        _train_line(3, 0.8),
        _train_line(4, 0.7),
        _val_line(4, 50.0),
        _train_line(5, 9.9),
        _train_line(6, 9.9)
    ])  # 5-6 redone after the resume
    _write_log(resumed, '20240101_120000', [
        _train_line(5, 0.6),
        _train_line(6, 0.5),
        _val_line(6, 60.0),
        _train_line(7, 0.4),
        _train_line(8, 0.3),
        _val_line(8, 70.0)
    ])
    (resumed / '20240101_130000' / 'vis_data').mkdir(parents=True)  # tools/test.py run
    _write_log(single, '20240102_090000', [
        line for step in range(1, 9)
        for line in ([_train_line(step, 1.0 / step)] +
                     ([_val_line(step, 10.0 * step)] if step % 2 == 0 else []))
    ])
    (root / 'untrained').mkdir()
    return dict(resumed=resumed, single=single, untrained=root / 'untrained')


def test_resumed_logs_are_joined_in_time_order(curve_dirs):
    log = load_run_log(str(curve_dirs['resumed']))
    assert len(log.files) == 2
    loss = log.curve('loss')
    assert loss.source == 'train'
    assert loss.steps.tolist() == list(range(1, 9))
    assert loss.values.tolist() == pytest.approx([1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3])
    dice = log.curve('Dice')
    assert dice.source == 'val' and dice.steps.tolist() == [2, 4, 6, 8]
    assert log.curve('time').source == 'train'  # in both kinds of line: the training one
    assert log.curve('accuracy/top1') is None


def test_curves_cli_writes_one_subplot_per_key(curve_dirs, tmp_path):
    out = tmp_path / 'plots' / 'curves.png'
    result = run_tool(TOOL, 'curves', str(curve_dirs['resumed']), str(curve_dirs['single']),
                      '--out', str(out), '--keys', 'loss', 'Dice', '--labels', 'HT', 'VPT')
    assert 'loss, Dice' in result.stdout
    figure = cv2.imread(str(out))
    assert figure is not None
    assert (figure.shape[1], figure.shape[0]) == figure_pixels(2)
    # both runs' lines (matplotlib colours C0 blue and C1 orange) are drawn
    pixels = figure.reshape(-1, 3).astype(int)
    for bgr in ((180, 119, 31), (14, 127, 255)):
        assert (np.abs(pixels - bgr).sum(axis=1) < 30).sum() > 50, bgr


def test_curves_default_keys(curve_dirs, tmp_path, capsys):
    out = tmp_path / 'default.png'
    assert _cli().main(['curves', str(curve_dirs['single']), '--out', str(out)]) == 0
    assert 'curves of loss, Dice' in capsys.readouterr().out
    assert cv2.imread(str(out)).shape[1::-1] == figure_pixels(2)


@pytest.mark.parametrize('case, expected', [
    ('absent_key', ["key 'Dise' is in none of the logs", 'validation: Dice', 'training: lr']),
    ('no_logs', ['no ', 'vis_data', 'scalars.json found', 'tools/train.py']),
])
def test_curves_input_errors_are_clear(curve_dirs, tmp_path, capsys, monkeypatch, case, expected):
    monkeypatch.setattr(sys, 'argv', [TOOL])
    argv = (['curves', str(curve_dirs['resumed']), '--keys', 'loss', 'Dise']
            if case == 'absent_key' else ['curves', str(curve_dirs['untrained'])])
    assert _cli().main(argv + ['--out', str(tmp_path / 'x.png')]) == 2
    err = capsys.readouterr().err
    assert err.startswith('visualize.py: error:'), err
    for text in expected:
        assert text in err, err
    assert not (tmp_path / 'x.png').exists()
