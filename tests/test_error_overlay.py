"""Tests of the TP/FP/FN error overlay drawing and of ErrorOverlayHook on a fake runner."""
import logging
import math
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.registry import HOOKS
from mmseg.structures import SegDataSample

import mmseg_ht  # noqa: F401  (installs the mmcv.ops stand-in before mmseg is imported)
from mmseg_ht.engine.hooks import ErrorOverlayHook
from mmseg_ht.visualization import (FN_COLOUR, FP_COLOUR, PRED_COLOUR, TP_COLOUR, dice_score,
                                    draw_error_overlay, legend_height)

H, W = 40, 60


def _case():
    """Grey image with a GT square and a shifted predicted square (TP, FP and FN regions)."""
    image = np.full((H, W), 100, dtype=np.uint8)
    gt = np.zeros((H, W), dtype=bool)
    pred = np.zeros((H, W), dtype=bool)
    gt[10:30, 10:30] = True
    pred[10:30, 20:40] = True
    return image, pred, gt


def _expected(grey: int, colour, alpha: float = 0.45) -> np.ndarray:
    """BGR value of a grey pixel tinted with ``colour``."""
    return np.rint(grey * (1 - alpha) + np.array(colour, dtype=np.float64) * alpha).astype(np.uint8)


def test_tp_fp_fn_pixels_get_their_colours():
    image, pred, gt = _case()
    out = draw_error_overlay(image, pred, gt, legend=False)
    assert out.shape == (H, W, 3) and out.dtype == np.uint8
    np.testing.assert_array_equal(out[20, 25], _expected(100, TP_COLOUR))  # inside both
    np.testing.assert_array_equal(out[20, 35], _expected(100, FP_COLOUR))  # pred only
    np.testing.assert_array_equal(out[20, 15], _expected(100, FN_COLOUR))  # gt only
    np.testing.assert_array_equal(out[35, 50], [100, 100, 100])  # true negative untouched
    assert len({TP_COLOUR, FP_COLOUR, FN_COLOUR, PRED_COLOUR}) == 4


def test_outlines_are_drawn_on_the_boundaries():
    image, pred, gt = _case()
    out = draw_error_overlay(image, pred, gt, legend=False)
    np.testing.assert_array_equal(out[10, 12],
                                  [255, 255, 255])  # GT outline (white) on its top edge
    np.testing.assert_array_equal(out[20, 39], PRED_COLOUR)  # prediction outline on its right edge


def test_legend_strip_is_appended_below():
    image, pred, gt = _case()
    out = draw_error_overlay(image, pred, gt)
    assert out.shape == (H + legend_height(W), W, 3)
    np.testing.assert_array_equal(out[:H], draw_error_overlay(image, pred, gt, legend=False))
    assert out[H:].std() > 0  # swatches and text were drawn


def test_bgr_and_single_channel_inputs():
    image, pred, gt = _case()
    colour = np.dstack([image, image + 20, image + 40])
    out = draw_error_overlay(colour, pred.astype(np.uint8), gt.astype(np.uint8), legend=False)
    np.testing.assert_array_equal(out[35, 50], colour[35, 50])
    np.testing.assert_array_equal(
        draw_error_overlay(image[..., None], pred, gt), draw_error_overlay(image, pred, gt))


def test_without_ground_truth_only_the_prediction_is_tinted():
    image, pred, _ = _case()
    out = draw_error_overlay(image, pred, None, legend=False)
    np.testing.assert_array_equal(out[20, 30], _expected(100, PRED_COLOUR))
    np.testing.assert_array_equal(out[20, 15], [100, 100, 100])
    assert draw_error_overlay(image, pred, None).shape == (H + legend_height(W), W, 3)


def test_dice_and_input_checks():
    image, pred, gt = _case()
    assert dice_score(pred, gt) == pytest.approx(0.5)
    assert math.isnan(dice_score(np.zeros((2, 2)), np.zeros((2, 2))))
    empty = np.zeros((H, W), dtype=bool)
    assert draw_error_overlay(image, empty, empty).shape == (H + legend_height(W), W, 3)
    with pytest.raises(ValueError):
        draw_error_overlay(image, pred[:-1], gt)
    with pytest.raises(TypeError):
        draw_error_overlay(image.astype(np.float32), pred, gt)


def _sample(path, pred: np.ndarray, gt=None) -> SegDataSample:
    """SegDataSample as the test loop produces it (label maps of shape (1, H, W))."""
    sample = SegDataSample(metainfo=dict(img_path=str(path), ori_shape=pred.shape))
    sample.pred_sem_seg = PixelData(data=torch.from_numpy(pred.astype(np.int64))[None])
    if gt is not None:
        sample.gt_sem_seg = PixelData(data=torch.from_numpy(gt.astype(np.int64))[None])
    return sample


def _fake_runner(tmp_path) -> SimpleNamespace:
    """The attributes of mmengine's Runner that the hook uses."""
    return SimpleNamespace(
        work_dir=str(tmp_path / 'work'),
        timestamp='20240101_000000',
        logger=logging.getLogger('test_error_overlay'))


def test_hook_is_registered():
    assert isinstance(HOOKS.build(dict(type='ErrorOverlayHook')), ErrorOverlayHook)


def test_hook_writes_one_overlay_per_sample(tmp_path, caplog):
    image, pred, gt = _case()
    for name in ('a', 'b'):
        cv2.imwrite(str(tmp_path / f'{name}.png'), image)
    gt_label = gt.astype(np.uint8)
    gt_label[0, 0] = 255  # ignore index is not lesion
    outputs = [_sample(tmp_path / 'a.png', pred, gt_label), _sample(tmp_path / 'b.png', pred)]
    runner, hook = _fake_runner(tmp_path), ErrorOverlayHook()
    hook.before_test_epoch(runner)
    hook.after_test_iter(runner, 0, data_batch={}, outputs=outputs)
    with caplog.at_level(logging.INFO, logger='test_error_overlay'):
        hook.after_test_epoch(runner)
    folder = tmp_path / 'work' / '20240101_000000' / 'error_overlays'
    assert sorted(p.name for p in folder.iterdir()) == ['a.png', 'b.png']
    written = cv2.imread(str(folder / 'a.png'))
    np.testing.assert_array_equal(written,
                                  draw_error_overlay(cv2.imread(str(tmp_path / 'a.png')), pred, gt))
    assert '2 error overlays' in caplog.text and str(folder) in caplog.text


def test_hook_out_dir_interval_and_resizing(tmp_path):
    image, pred, gt = _case()
    cv2.imwrite(str(tmp_path / 'c.png'), image)
    small_gt = cv2.resize(gt.astype(np.uint8), (W // 2, H // 2), interpolation=cv2.INTER_NEAREST)
    runner = _fake_runner(tmp_path)
    hook = ErrorOverlayHook(out_dir=str(tmp_path / 'abs'), interval=2)
    hook.after_test_iter(runner, 0, outputs=[_sample(tmp_path / 'c.png', pred, small_gt)])
    assert not (tmp_path / 'abs').exists()  # first batch skipped by interval=2
    hook.after_test_iter(runner, 1, outputs=[_sample(tmp_path / 'c.png', pred, small_gt)])
    assert cv2.imread(str(tmp_path / 'abs' / 'c.png')).shape == (H + legend_height(W), W, 3)
    relative = ErrorOverlayHook(out_dir='show')
    assert relative.resolve_out_dir(runner) == str(tmp_path / 'work' / '20240101_000000' / 'show')
