"""No NaN/inf from the whole segmentor on degenerate images, in fp32 and under bf16 autocast.

All-black, all-white and constant images (a frozen probe, an unplugged
transducer) make every patch token equal: LayerNorm sees zero variance, the
HT adapter's FFT filter sees a pure DC component and its noise estimator a
flat map. The adapter-level constant-input test is in
tests/test_models/test_adapters.py; here the full EncoderDecoder of the
configs (tiny tower, same code paths) runs loss + backward and predict, and
its predictions go through SurfaceMetric with empty and full ground truths.
The tower is open_clip's tiny ViT at 32x32 (bf16 matmuls on CPU are slow).
"""
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmseg.registry import MODELS  # noqa: E402
from mmseg.structures import SegDataSample  # noqa: E402

import mmseg_ht  # noqa: F401
from mmseg_ht.evaluation import SurfaceMetric  # noqa: E402
from tests.tiny_towers import TINY_OPENCLIP_ARCH  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
# open_clip's tiny ViT (32x32 input, 4x4 grid, width 64): bf16 on CPU is slow at 224.
TINY = {
    'model.backbone.out_indices': (1, 2, 3),
    'model.decode_head.in_channels': [64, 64, 64],
    'model.decode_head.channels': 32,
    'model.data_preprocessor.size': (32, 32)
}
IMAGES = {'black': 0, 'white': 255, 'constant': 97}
CROP = 32  # the network input
SIZE = 48  # original image size (predictions are resized back to it)


@pytest.fixture(scope='module')
def segmentor(request):
    cfg = Config.fromfile(str(REPO / f'configs/ht/clip-{request.param}_busi.py'))
    cfg.merge_from_dict(TINY)
    cfg.model.backbone.arch = dict(TINY_OPENCLIP_ARCH)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(cfg.model)
    with torch.no_grad():  # trained-looking adapters (zero-initialised ones hide problems)
        for param in model.parameters():
            if param.requires_grad:
                param.add_(0.05 * torch.randn_like(param))
    return model


def batch(with_labels: bool):
    """One CROP x CROP uint8 image per kind; labels: empty for black, full for white, disk else."""
    inputs, samples = [], []
    for kind, value in IMAGES.items():
        inputs.append(torch.full((3, CROP, CROP), value, dtype=torch.uint8))
        sample = SegDataSample(
            metainfo=dict(img_shape=(CROP, CROP), ori_shape=(SIZE, SIZE), img_path=f'{kind}.png'))
        if with_labels:
            label = torch.zeros(1, CROP, CROP, dtype=torch.int64)
            if kind == 'white':
                label[:] = 1
            elif kind == 'constant':
                label[:, 8:20, 10:22] = 1
            sample.gt_sem_seg = PixelData(data=label)
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


# bf16 for HT only (its FFT filter and noise estimator): bf16 matmuls are slow on CPU.
CASES = pytest.mark.parametrize(
    'segmentor, precision', [('ht', 'fp32'), ('ht', 'bf16'), ('mona', 'fp32'), ('lora', 'fp32')],
    indirect=['segmentor'])


@CASES
def test_loss_and_gradients_are_finite(segmentor, precision):
    segmentor.train()
    segmentor.zero_grad()
    data = segmentor.data_preprocessor(batch(with_labels=True), training=True)
    with torch.autocast('cpu', dtype=torch.bfloat16, enabled=precision == 'bf16'):
        losses = segmentor(**data, mode='loss')
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total), losses
    total.backward()
    for name, param in segmentor.named_parameters():
        if param.grad is not None:
            assert torch.isfinite(param.grad).all(), name


@CASES
def test_predictions_are_finite_and_the_metric_counts_empty_cases(segmentor, precision):
    segmentor.eval()
    data = segmentor.data_preprocessor(batch(with_labels=False), training=False)
    with torch.no_grad(), torch.autocast('cpu', dtype=torch.bfloat16, enabled=precision == 'bf16'):
        results = segmentor(**data, mode='predict')
    ground_truths = {
        'black': np.zeros((SIZE, SIZE), np.uint8),
        'white': np.ones((SIZE, SIZE), np.uint8),
        'constant': np.zeros((SIZE, SIZE), np.uint8)
    }
    metric = SurfaceMetric()
    for result in results:
        assert torch.isfinite(result.seg_logits.data).all()
        assert result.pred_sem_seg.data.shape[1:] == (SIZE, SIZE)
        gt = ground_truths[Path(result.img_path).stem]
        result.gt_sem_seg = PixelData(data=torch.from_numpy(gt)[None])
        metric.process({}, [result.to_dict()])
    summary = metric.compute_metrics(metric.results)
    assert all(np.isfinite(v) for v in summary.values()), summary  # penalize: no NaN
    assert summary['n_images'] == 3 and summary['n_empty_gt'] == 2
    assert 0 <= summary['Dice'] <= 100
