"""Tests of SurfaceMetric through mmseg-style SegDataSamples, process() and compute_metrics()."""
import csv
import math

import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.registry import METRICS
from mmseg.structures import SegDataSample

# mmseg_ht first: it installs the mmcv.ops stand-in that mmseg needs.
from mmseg_ht.evaluation import SurfaceMetric, score_image  # isort: skip
from mmseg_ht.evaluation import surface_metric as surface_metric_module  # isort: skip


def make_sample(pred: np.ndarray,
                gt: np.ndarray,
                img_path: str = 'img.png',
                **metainfo) -> SegDataSample:
    """A SegDataSample as mmseg's test loop hands it to metrics: 1 x H x W label tensors."""
    sample = SegDataSample(metainfo=dict(img_path=img_path, **metainfo))
    sample.pred_sem_seg = PixelData(data=torch.from_numpy(pred.astype(np.int64))[None])
    sample.gt_sem_seg = PixelData(data=torch.from_numpy(gt.astype(np.uint8))[None])
    return sample


def square(shape=(40, 50), top=10, left=10, size=12) -> np.ndarray:
    """A label map with a filled square of class 1."""
    label = np.zeros(shape, dtype=np.uint8)
    label[top:top + size, left:left + size] = 1
    return label


@pytest.fixture
def logged(monkeypatch):
    """Messages SurfaceMetric sends to print_log."""
    messages = []
    monkeypatch.setattr(
        surface_metric_module,
        'print_log',
        lambda msg, logger=None, level=None: messages.append(msg))
    return messages


def cases():
    """(pred, gt, name) label maps: good, shifted, missed lesion, false alarm, correct negative."""
    empty = np.zeros((40, 50), dtype=np.uint8)
    return [(square(), square(), 'same.png'), (square(left=14), square(), 'shifted.png'),
            (empty, square(), 'missed.png'), (square(), empty, 'false_alarm.png'),
            (empty, empty, 'negative.png')]


def run_metric(metric: SurfaceMetric, samples, as_dict: bool = True) -> dict:
    """Feed the samples in batches of two (as dicts, like mmengine's Evaluator) and compute."""
    samples = [s.to_dict() for s in samples] if as_dict else list(samples)
    for start in range(0, len(samples), 2):
        metric.process({}, samples[start:start + 2])
    return metric.compute_metrics(metric.results)


def test_registered_in_mmseg_metrics():
    metric = METRICS.build(dict(type='SurfaceMetric', empty_policy='exclude', spacing=0.1))
    assert isinstance(metric, SurfaceMetric)
    assert metric.spacing == (0.1, 0.1)


def test_penalize_policy_means_and_counts(logged):
    samples = [make_sample(p, g, name) for p, g, name in cases()]
    result = run_metric(SurfaceMetric(), samples)
    per_image = [score_image(p == 1, g == 1) for p, g, _ in cases()]
    assert result['Dice'] == pytest.approx(100 * np.mean([s.dice for s in per_image]))
    assert result['IoU'] == pytest.approx(100 * np.mean([s.iou for s in per_image]))
    diagonal = math.hypot(40, 50)
    shifted = per_image[1]
    assert result['HD95'] == pytest.approx((0 + shifted.hd95 + diagonal + diagonal + 0) / 5)
    assert result['ASD'] == pytest.approx((0 + shifted.asd + diagonal + diagonal + 0) / 5)
    assert {
        k: v
        for k, v in result.items() if k.startswith('n_')
    } == dict(
        n_images=5,
        n_empty_gt=2,
        n_empty_pred=2,
        n_both_empty=1,
        n_distance_excluded=0,
        n_spacing_mm=0)
    assert len(logged) == 1
    assert 'empty_policy=penalize' in logged[0] and 'HD95 (px)' in logged[
        0] and 'Dice (%)' in logged[0]


def test_exclude_policy_leaves_empty_images_out_of_distances(logged):
    samples = [make_sample(p, g, name) for p, g, name in cases()]
    result = run_metric(SurfaceMetric(empty_policy='exclude'), samples, as_dict=False)
    shifted = score_image(square(left=14) == 1, square() == 1)
    assert result['HD95'] == pytest.approx(shifted.hd95 / 2)
    assert result['ASD'] == pytest.approx(shifted.asd / 2)
    assert result['Dice'] == pytest.approx(100 * (1 + shifted.dice + 0 + 0 + 1) / 5)
    assert result['n_distance_excluded'] == 3
    assert 'empty_policy=exclude' in logged[0]


def test_evaluate_adds_prefix_and_resets(logged):
    metric = SurfaceMetric(prefix='lesion')
    metric.process({}, [make_sample(square(), square()).to_dict()])
    result = metric.evaluate(1)
    assert result['lesion/Dice'] == pytest.approx(100.0)
    assert result['lesion/HD95'] == 0.0
    assert metric.results == []


def test_spacing_from_metainfo_wins_over_default(logged):
    pred, gt = square(left=14), square()
    pixels = score_image(pred == 1, gt == 1)
    metric = SurfaceMetric(spacing=(1.0, 1.0))
    result = run_metric(metric, [make_sample(pred, gt, spacing=(0.5, 0.5))])
    assert result['HD95'] == pytest.approx(0.5 * pixels.hd95)
    assert 'HD95 (mm)' in logged[0] and 'unit=mm' in logged[0]
    anisotropic = run_metric(SurfaceMetric(),
                             [make_sample(pred, gt, spacing=torch.tensor([0.3, 0.7]))])
    assert anisotropic['HD95'] == pytest.approx(score_image(pred == 1, gt == 1, (0.3, 0.7)).hd95)


def test_mixing_mm_and_pixels_is_reported_per_unit(logged):
    pred, gt = square(left=14), square()
    pixels = score_image(pred == 1, gt == 1)
    samples = [
        make_sample(pred, gt, 'a.png', spacing=0.2),
        make_sample(pred, gt, 'b.png'),
        make_sample(gt, gt, 'c.png')
    ]
    result = run_metric(SurfaceMetric(), samples)
    assert 'HD95' not in result and 'ASD' not in result  # never averaged across units
    assert result['HD95_mm'] == pytest.approx(0.2 * pixels.hd95)
    assert result['HD95_px'] == pytest.approx(pixels.hd95 / 2)  # b and the perfect c
    assert result['ASD_mm'] == pytest.approx(0.2 * pixels.asd)
    assert result['n_spacing_mm'] == 1 and result['n_images'] == 3
    assert '2 of 3 images have no pixel spacing (e.g. b.png, c.png)' in logged[0]
    assert 'HD95 (mm)' in logged[1] and 'HD95 (px)' in logged[1] and 'unit=mixed' in logged[1]
    with_default = run_metric(SurfaceMetric(spacing=0.2), samples)  # the remedy: all in mm
    assert with_default['HD95'] == pytest.approx(0.2 * pixels.hd95 * 2 / 3)
    assert with_default['n_spacing_mm'] == 3


def test_ignore_index_and_fg_index(logged):
    gt = square()
    gt[:, 40:] = 255
    pred = square()
    pred[10:22, 40:45] = 1  # only inside the ignored band: no penalty
    assert run_metric(SurfaceMetric(), [make_sample(pred, gt)])['Dice'] == pytest.approx(100.0)
    not_ignored = run_metric(SurfaceMetric(ignore_index=None), [make_sample(pred, gt)])
    assert not_ignored['Dice'] < 100.0

    two_class = square() * 2
    assert run_metric(SurfaceMetric(fg_index=2),
                      [make_sample(two_class, two_class)])['Dice'] == 100.0
    assert run_metric(SurfaceMetric(), [make_sample(two_class, two_class)])['n_both_empty'] == 1


def test_shape_mismatch_names_both_shapes_and_the_image():
    sample = make_sample(square((40, 50)), square((40, 51)), 'case7.png')
    with pytest.raises(ValueError, match=r"\(40, 50\).*\(40, 51\).*case7.png"):
        SurfaceMetric().process({}, [sample.to_dict()])


def test_per_image_csv(tmp_path, logged):
    path = tmp_path / 'reports' / 'per_image.csv'
    samples = [make_sample(p, g, f'/data/{name}') for p, g, name in cases()]
    run_metric(SurfaceMetric(empty_policy='exclude', per_image_csv=str(path)), samples)
    with open(path, newline='') as handle:
        rows = list(csv.DictReader(handle))
    assert list(
        rows[0]) == ['filename', 'Dice', 'IoU', 'HD95', 'ASD', 'empty_gt', 'empty_pred', 'unit']
    assert {r['unit'] for r in rows} == {'px'}
    assert [r['filename'] for r in rows] == [name for _, _, name in cases()]
    assert float(rows[0]['Dice']) == 100.0 and float(rows[0]['HD95']) == 0.0
    missed = rows[2]
    assert (missed['Dice'], missed['HD95'], missed['ASD']) == ('0.0000', '', '')
    assert (missed['empty_gt'], missed['empty_pred']) == ('0', '1')


def test_missing_ground_truth_is_a_clear_error():
    sample = make_sample(square(), square(), 'unlabelled.png').to_dict()
    del sample['gt_sem_seg']
    with pytest.raises(ValueError, match="gt_sem_seg.*unlabelled.png"):
        SurfaceMetric().process({}, [sample])


def test_invalid_arguments():
    with pytest.raises(ValueError, match='empty_policy'):
        SurfaceMetric(empty_policy='ignore')
    with pytest.raises(ValueError, match='spacing'):
        SurfaceMetric(spacing=(1.0, -2.0))
