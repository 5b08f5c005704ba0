"""tools/infer.py end to end: a 1-iteration checkpoint on three images and one DICOM file,
the ONNX export and ``--onnx``, and report.html rendered by a real headless browser."""
import csv
import shutil
import subprocess
import tempfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.conftest import run_tool, shared_data_root
from tests.test_datasets.medical_files import write_dicom
from tests.test_inference.conftest import HT_CONFIG, TINY_ARGS

pytestmark = pytest.mark.usefixtures('one_torch_thread')

REQUIRED_COLUMNS = [
    'image', 'lesion', 'area_px', 'area_mm2', 'max_diameter_mm', 'perpendicular_diameter_mm',
    'centroid_x', 'centroid_y', 'bbox', 'mean_probability'
]
DICOM_SPACING_CM = (0.01, 0.008)  # row, col: 0.1 mm x 0.08 mm
LOADERS = [
    f'{loader}.{key}' for loader in ('train_dataloader', 'val_dataloader')
    for key in ('num_workers=0', 'persistent_workers=False')
]


def infer(*args: str) -> int:
    """Run tools/infer.py in this process; its exit code."""
    import runpy
    import sys

    from tests.conftest import REPO_ROOT
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(REPO_ROOT)
        patch.setattr(sys, 'argv', ['tools/infer.py', *args])
        with pytest.raises(SystemExit) as exit_info:
            runpy.run_path(str(REPO_ROOT / 'tools/infer.py'), run_name='__main__')
    return exit_info.value.code


@pytest.fixture(scope='module')
def phantom(tmp_path_factory) -> Path:
    """The built-in phantom data set (4 train, 1 val, 1 test images)."""
    root = tmp_path_factory.mktemp('phantom')
    run_tool('tools/make_phantom_dataset.py', str(root), '--num-train', '4', '--num-val', '1',
             '--num-test', '1')
    return root


@pytest.fixture(scope='module')
def checkpoint(phantom, tmp_path_factory) -> Path:
    """A 1-iteration clip-ht_busi checkpoint (tiny tower) trained on the phantom."""
    work = tmp_path_factory.mktemp('work')
    run_tool(
        'tools/train.py',
        HT_CONFIG,
        '--work-dir',
        str(work),
        '--cfg-options',
        *TINY_ARGS,
        *LOADERS,
        'train_cfg.max_iters=1',
        'train_cfg.val_interval=1',
        'train_dataloader.batch_size=2',
        'default_hooks.checkpoint.interval=1',
        env={'DATA_ROOT': str(phantom)})
    return work / 'iter_1.pth'


@pytest.fixture(scope='module')
def inputs(phantom, tmp_path_factory) -> Path:
    """Three BUSI images (phantom images without the real data), one DICOM, one broken file."""
    folder = tmp_path_factory.mktemp('inputs')
    busi = shared_data_root() / 'Dataset_BUSI_with_GT'
    if (busi / 'benign').is_dir():
        sources = [
            busi / 'benign' / 'benign (1).png', busi / 'malignant' / 'malignant (1).png',
            busi / 'benign' / 'benign (2).png', busi / 'benign' / 'benign (3).png'
        ]
    else:  # a user's machine: the phantom's images stand in for BUSI
        sources = sorted((phantom / 'img_dir' / 'train').glob('*.png'))[:4]
    dicom_pixels = cv2.imread(str(sources.pop()), cv2.IMREAD_GRAYSCALE)
    for source in sources:
        shutil.copy(source, folder / source.name)
    write_dicom(folder / 'scan.dcm', dicom_pixels, region_cm=DICOM_SPACING_CM)
    (folder / 'broken.png').write_bytes(b'\x89PNG\r\n\x1a\n truncated')
    return folder


@pytest.fixture(scope='module')
def run(checkpoint, inputs, tmp_path_factory):
    out = tmp_path_factory.mktemp('infer')
    code = infer(HT_CONFIG, str(checkpoint), str(inputs), '--out-dir', str(out), '--spacing', '0.2',
                 '--cfg-options', *TINY_ARGS)
    return code, out


def read_csv(path: Path):
    with open(path, newline='') as handle:
        return list(csv.DictReader(handle))


def test_writes_masks_overlays_csv_and_report(run, inputs):
    code, out = run
    assert code == 1  # broken.png failed, the rest went on
    names = sorted(p.stem for p in (out / 'masks').glob('*.png'))
    assert len(names) == 4 and 'scan' in names
    assert sorted(p.stem for p in (out / 'overlays').glob('*.png')) == names
    for name in names:
        mask = cv2.imread(str(out / 'masks' / f'{name}.png'), cv2.IMREAD_UNCHANGED)
        source = next(p for p in inputs.iterdir() if p.stem == name)
        if source.suffix == '.png':
            assert mask.shape == cv2.imread(str(source), cv2.IMREAD_UNCHANGED).shape[:2]
        assert mask.dtype == np.uint8 and set(np.unique(mask)) <= {0, 1}
    with open(out / 'lesions.csv', newline='') as handle:
        header = next(csv.reader(handle))
    assert header[:len(REQUIRED_COLUMNS)] == REQUIRED_COLUMNS
    rows = read_csv(out / 'lesions.csv')
    assert {row['image'] for row in rows} <= set(names)
    assert (out / 'report.html').is_file()


def test_spacing_source_per_image_and_mm_from_the_spacing(run):
    _, out = run
    images = {row['image']: row for row in read_csv(out / 'images.csv')}
    assert images['broken']['status'] == 'failed' and 'broken.png' in images['broken']['error']
    assert images['scan']['spacing_source'] == 'DICOM ultrasound region'
    assert (float(images['scan']['spacing_row_mm']), float(images['scan']['spacing_col_mm'])) \
        == pytest.approx((0.1, 0.08))
    others = [row for name, row in images.items() if name not in ('scan', 'broken')]
    assert len(others) == 3 and all(row['spacing_source'] == '--spacing' for row in others)
    for row in read_csv(out / 'lesions.csv'):
        row_mm, col_mm = float(row['spacing_row_mm']), float(row['spacing_col_mm'])
        assert float(row['area_mm2']) == pytest.approx(
            int(row['area_px']) * row_mm * col_mm, rel=1e-3, abs=1e-3)


def test_without_spacing_mm_columns_are_empty(checkpoint, inputs, tmp_path):
    first = sorted(inputs.glob('*.png'))[0]
    assert infer(HT_CONFIG, str(checkpoint), str(first), '--out-dir', str(tmp_path),
                 '--mask-values', '0,255', '--no-progress', '--cfg-options', *TINY_ARGS) == 0
    rows = read_csv(tmp_path / 'lesions.csv')
    assert rows, 'the 1-iteration model found no lesion'
    for row in rows:
        assert row['area_mm2'] == row['max_diameter_mm'] == row['perpendicular_diameter_mm'] == ''
        assert float(row['max_diameter_px']) > 0 and row['spacing_source'] == 'none'
    mask = cv2.imread(str(tmp_path / 'masks' / first.name), cv2.IMREAD_UNCHANGED)
    assert set(np.unique(mask)) <= {0, 255}


def test_spacing_csv_rows_win_over_the_spacing_option(checkpoint, inputs, tmp_path):
    first, second = sorted(inputs.glob('*.png'))[:2]
    table = tmp_path / 'spacing.csv'
    table.write_text(f'image,row_mm,col_mm\n{first.name},0.3,0.25\n')
    out = tmp_path / 'out'
    infer(HT_CONFIG, str(checkpoint), str(inputs / '*.png'), '--out-dir', str(out), '--spacing-csv',
          str(table), '--spacing', '0.1', '--no-progress', '--cfg-options', *TINY_ARGS)
    images = {row['image']: row for row in read_csv(out / 'images.csv')}
    assert (images[first.stem]['spacing_source'],
            images[first.stem]['spacing_col_mm']) == ('--spacing-csv', '0.25')
    assert (images[second.stem]['spacing_source'],
            images[second.stem]['spacing_row_mm']) == ('--spacing', '0.1')


def test_onnx_export_and_infer_with_onnx_give_the_same_masks(checkpoint, inputs, run, tmp_path):
    model = tmp_path / 'model.onnx'
    result = run_tool('tools/deployment/export_onnx.py', HT_CONFIG, str(checkpoint), '--out',
                      str(model), '--tolerance', '1e-4', '--cfg-options', *TINY_ARGS)
    assert 'max abs logit difference' in result.stdout
    out = tmp_path / 'onnx_out'
    assert infer(HT_CONFIG, str(inputs), '--onnx', str(model), '--out-dir', str(out),
                 '--no-progress') == 1  # broken.png again
    _, torch_out = run
    for mask in (torch_out / 'masks').glob('*.png'):
        a = cv2.imread(str(mask), cv2.IMREAD_UNCHANGED)
        b = cv2.imread(str(out / 'masks' / mask.name), cv2.IMREAD_UNCHANGED)
        assert (a != b).mean() < 1e-4, mask.name


def test_bad_arguments_are_clear_errors(checkpoint, tmp_path, capsys):
    assert infer(HT_CONFIG, str(tmp_path), '--out-dir', str(tmp_path)) == 2  # no checkpoint
    assert 'CONFIG CHECKPOINT INPUT' in capsys.readouterr().err
    with pytest.raises(FileNotFoundError, match='no input images found'):
        infer(HT_CONFIG, str(checkpoint), str(tmp_path / 'empty*'), '--out-dir', str(tmp_path))
    assert infer(HT_CONFIG, str(checkpoint), str(tmp_path), '--out-dir', str(tmp_path), '--spacing',
                 '-1') == 2
    assert 'positive' in capsys.readouterr().err


def chromium() -> str:
    for name in ('chromium', 'chromium-browser'):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip('chromium not installed: run tools/misc/install_chromium.sh (.ci/run does)')


def test_report_renders_in_a_headless_browser(run, tmp_path):
    _, out = run
    page = (out / 'report.html').read_text()
    assert page.count('src="data:image/png;base64,') == 8  # image + overlay per image
    assert 'http://' not in page and 'https://' not in page and '<script' not in page
    shot = tmp_path / 'report.png'
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([
            chromium(), '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
            '--no-first-run', '--disable-background-networking', '--disable-component-update',
            '--disable-sync', f'--user-data-dir={profile}', f'--screenshot={shot}',
            '--window-size=1200,1600', (out / 'report.html').as_uri()
        ],
                       check=True,
                       capture_output=True,
                       timeout=120)
    pixels = cv2.imread(str(shot), cv2.IMREAD_COLOR)
    assert pixels.shape[:2] == (1600, 1200)
    assert pixels.std() > 20, 'the screenshot is blank'
    # thumbnails: greyscale ultrasound (neither white page nor coloured text) over large areas
    b, g, r = (pixels[..., i].astype(int) for i in range(3))
    grey = (np.abs(b - g) < 6) & (np.abs(g - r) < 6) & (g < 200)
    assert grey.mean() > 0.05, 'no image thumbnails visible'
    # overlays: the prediction's sky-blue tint (BGR: blue channel well above red)
    assert ((b - r) > 40).mean() > 0.01, 'no overlay thumbnails visible'
    rows = np.flatnonzero(grey.mean(axis=1) > 0.1)
    assert rows.size and rows[-1] - rows[0] > 600, 'fewer than several image cards rendered'


def test_mmseg_inferencer_takes_our_config_as_it_is(checkpoint, inputs, tmp_path):
    """MMSegInferencer(model=<clip-ht_busi.py, only the tower made tiny>, weights=CKPT): a
    path, an array, a 16-bit PNG path and a 16-bit array give our predictor's masks."""
    from mmseg.apis import MMSegInferencer

    import mmseg_ht  # noqa: F401  (before mmseg.apis)
    from mmseg_ht.datasets.image_io import to_bgr8
    from mmseg_ht.inference import SegmentationPredictor
    from tests.conftest import REPO_ROOT
    from tests.test_inference.conftest import TINY
    leaf = tmp_path / 'clip-ht_busi_tiny.py'  # the real config through _base_, tiny tower
    leaf.write_text(f"_base_ = ['{REPO_ROOT / HT_CONFIG}']\n"
                    "model = dict(backbone=dict(arch='mmseg_ht-tiny-vit16'),\n"
                    "             decode_head=dict(in_channels=[64, 64, 64], channels=32))\n")
    inferencer = MMSegInferencer(model=str(leaf), weights=str(checkpoint), device='cpu')
    predictor = SegmentationPredictor.from_files(HT_CONFIG, str(checkpoint), cfg_options=dict(TINY))
    path = sorted(inputs.glob('*.png'))[0]
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    twelve_bit = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE).astype(np.uint16) * 16 + 7
    sixteen_path = tmp_path / 'twelve_bit.png'
    assert cv2.imwrite(str(sixteen_path), twelve_bit)
    cases = [('8-bit array', image, image), ('8-bit path', str(path), image),
             ('16-bit path', str(sixteen_path), to_bgr8(twelve_bit, 'twelve_bit')),
             ('16-bit array', twelve_bit, to_bgr8(twelve_bit, 'twelve_bit'))]
    for name, given, as_read in cases:
        expected = predictor(as_read).mask
        assert expected.any() and not expected.all(), 'a trivial mask compares nothing'
        predicted = inferencer(given)['predictions']
        assert predicted.shape == expected.shape, name
        assert (predicted != expected).mean() < 1e-4, name
    # the 16-bit file reaches the network stretched, not cut to its high byte (max 16)
    inputs_16 = inferencer.pipeline(str(sixteen_path))['inputs']
    assert inputs_16.max() >= 250 and inputs_16.min() <= 5


CLS_CONFIG = 'configs/cls/clip-ht_busi.py'
CLS_TINY = {
    'model.backbone.arch': 'mmseg_ht-tiny-vit16',
    'model.head.in_channels': [64, 64, 64],
    'model.head.channels': 32,
    'model.head.hidden_channels': 32
}


@pytest.fixture(scope='module')
def cls_checkpoint(tmp_path_factory) -> Path:
    """A randomly initialised tiny classification model saved as an mmengine-style checkpoint."""
    import torch

    from mmseg_ht.engine import load_config
    from mmseg_ht.inference.predictor import build_model
    torch.manual_seed(1)
    model = build_model(load_config(CLS_CONFIG, dict(CLS_TINY)))
    path = tmp_path_factory.mktemp('cls') / 'cls.pth'
    torch.save(dict(meta=dict(), state_dict=model.state_dict()), path)
    return path


def test_classifier_matches_mmpretrain_on_the_file_and_fills_its_columns(
        cls_checkpoint, checkpoint, inputs, tmp_path):
    import torch
    from mmcv.transforms import Compose
    from mmengine.dataset import pseudo_collate

    from mmseg_ht.inference import ClassificationPredictor
    classifier = ClassificationPredictor(CLS_CONFIG, str(cls_checkpoint), dict(CLS_TINY))
    assert classifier.classes == ('benign', 'malignant')
    path = sorted(inputs.glob('*.png'))[0]
    scores = classifier(cv2.imread(str(path), cv2.IMREAD_COLOR))
    # reference: mmpretrain's own test pipeline reading the file
    pipeline = Compose(list(classifier.cfg.test_dataloader.dataset.pipeline))
    with torch.no_grad():
        (sample, ) = classifier.model.test_step(
            pseudo_collate([pipeline(dict(img_path=str(path)))]))
    assert [scores['benign'], scores['malignant']] == pytest.approx(
        sample.pred_score.tolist(), abs=1e-6)
    assert sum(scores.values()) == pytest.approx(1.0)
    out = tmp_path / 'out'
    assert infer(HT_CONFIG, str(checkpoint), str(path), '--out-dir',
                 str(out), '--no-progress', '--cls-config', CLS_CONFIG, '--cls-checkpoint',
                 str(cls_checkpoint), '--cfg-options', *TINY_ARGS, '--cls-cfg-options',
                 *[f'{k}={v}'.replace(' ', '') for k, v in CLS_TINY.items()]) == 0
    rows = read_csv(out / 'lesions.csv')
    columns = list(rows[0])
    assert columns[len(REQUIRED_COLUMNS):len(REQUIRED_COLUMNS) +
                   2] == ['benign_probability', 'malignant_probability']
    assert float(rows[0]['malignant_probability']) == pytest.approx(scores['malignant'], abs=1e-4)
