"""MultiLevelClsHead: shapes, the shared fusion, and the focal-loss wiring."""
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.models.losses import FocalLoss
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmseg_ht.classification  # noqa: F401  (registrations)
from mmseg_ht.models.heads import MultiLevelFusion


def build_head(**kwargs):
    cfg = dict(type='MultiLevelClsHead', num_classes=2, in_channels=(64, 64, 64), channels=32)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def maps(batch=3, channels=64, size=14, levels=3):
    torch.manual_seed(0)
    return tuple(torch.randn(batch, channels, size, size) for _ in range(levels))


def test_shapes_and_shared_fusion():
    head = build_head()
    assert isinstance(head.fusion, MultiLevelFusion)
    feats = maps()
    assert head.fused_map(feats).shape == (3, 32, 14, 14)
    assert head.pre_logits(feats).shape == (3, 32)
    assert head(feats).shape == (3, 2)
    mlp = [type(m) for m in head.pre_mlp] + [type(head.fc)]
    assert mlp == [torch.nn.Linear, torch.nn.ReLU, torch.nn.Dropout, torch.nn.Linear]


def test_hidden_width_and_pooled_embedding_after_the_maps():
    head = build_head(hidden_channels=16)
    feats = maps() + (torch.randn(3, 32), )  # CLIPViT(out_pooled=True) appends (B, E)
    assert head.pre_logits(feats).shape == (3, 16)
    assert head(feats).shape == (3, 2)


def test_pooling_is_a_plain_mean_of_the_fused_map():
    head = build_head(dropout=0.0).eval()
    feats = maps(batch=2)
    expected = head.fc(head.pre_mlp(head.fused_map(feats).mean(dim=(2, 3))))
    torch.testing.assert_close(head(feats), expected)


def test_config_errors():
    with pytest.raises(ValueError, match='same length'):
        build_head(in_index=(0, 1))
    with pytest.raises(ValueError, match='needs 3 backbone outputs'):
        build_head()(maps(levels=2))


def test_focal_loss_wiring_matches_the_sigmoid_focal_formula():
    head = build_head(dropout=0.0)  # two forward passes below must agree
    assert isinstance(head.loss_module, FocalLoss)
    assert (head.loss_module.gamma, head.loss_module.alpha) == (2.0, 0.5)
    feats = maps(batch=4)
    labels = [0, 1, 1, 0]
    samples = [DataSample().set_gt_label(label) for label in labels]
    loss = head.loss(feats, samples)['loss']
    logits = head(feats)
    target = F.one_hot(torch.tensor(labels), 2).float()
    p = logits.sigmoid()
    pt = p * target + (1 - p) * (1 - target)
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction='none')
    # alpha 0.5 weights both terms by 0.5; mmpretrain sums classes and divides by N:
    # = mean over N x C of (1 - pt)^2 * BCE for two classes (MONAI's FocalLoss).
    expected = ((1 - pt)**2 * bce).mean()
    torch.testing.assert_close(loss, expected)
    loss.backward()
    assert head.fusion.projections[0][0].weight.grad is not None


def test_predictions_are_softmax_scores():
    head = build_head().eval()
    predictions = head.predict(maps(batch=2))
    assert len(predictions) == 2
    assert torch.allclose(predictions[0].pred_score.sum(), torch.tensor(1.0))
