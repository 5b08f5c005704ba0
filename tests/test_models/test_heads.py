"""MultiLevelAggHead: shapes, losses, and the conv-then-upsample reordering."""
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

import mmseg_ht  # noqa: F401


def build_head(**kwargs):
    cfg = dict(
        type='MultiLevelAggHead',
        in_channels=(16, 16, 16),
        channels=8,
        num_classes=2,
        loss_decode=dict(type='DiceCELoss'))
    cfg.update(kwargs)
    return MODELS.build(cfg)


def maps(batch=2, grid=14):
    return [torch.randn(batch, 16, grid, grid) for _ in range(3)]


def test_forward_gives_token_resolution_logits():
    assert build_head()(maps()).shape == (2, 2, 14, 14)


def test_conv_then_upsample_equals_upsample_then_conv():
    """The paper's order (upsample 512 channels, then 1x1 conv) gives the same logits."""
    head = build_head().eval()
    inputs = maps()
    fused = head.fusion(inputs)
    paper = head.conv_seg(
        F.interpolate(fused, size=(224, 224), mode='bilinear', align_corners=False))
    ours = F.interpolate(head(inputs), size=(224, 224), mode='bilinear', align_corners=False)
    torch.testing.assert_close(ours, paper, atol=1e-5, rtol=1e-5)


def test_losses_with_full_resolution_labels_and_predict_resizes():
    head = build_head()
    samples = []
    for _ in range(2):
        sample = SegDataSample()
        label = torch.zeros(1, 224, 224, dtype=torch.long)
        label[:, 50:120, 60:150] = 1
        sample.gt_sem_seg = PixelData(data=label)
        sample.set_metainfo(dict(img_shape=(224, 224), ori_shape=(300, 400)))
        samples.append(sample)
    losses = head.loss(maps(), samples, train_cfg=None)
    assert set(losses) == {'loss_dice_ce', 'acc_seg'}
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    assert head.conv_seg.weight.grad is not None
    logits = head.predict(maps(), [s.metainfo for s in samples], test_cfg=None)
    assert logits.shape == (2, 2, 224, 224)
