"""DiceCELoss: the paper's loss (MONAI DiceCELoss settings) with mmseg's ignore_index."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmseg.registry import MODELS

import mmseg_ht  # noqa: F401
from mmseg_ht.models.losses import dice_ce_loss
from tests.conftest import REPO_ROOT

EPS = 1e-8


def reference(logits, labels, ignore_index=255):
    """The formula written out loop by loop: Dice per sample and class + mean CE."""
    batch, classes = logits.shape[:2]
    probs = logits.softmax(1)
    dice_terms, ce_sum, n_valid = [], 0.0, 0
    for b in range(batch):
        valid = labels[b] != ignore_index
        for c in range(classes):
            p = probs[b, c][valid]
            y = (labels[b][valid] == c).float()
            dice_terms.append(1 - (2 * (p * y).sum() + EPS) / ((p * p).sum() + (y * y).sum() + EPS))
        if valid.any():
            ce_sum += -F.log_softmax(logits[b], 0).permute(1, 2, 0)[valid].gather(
                1, labels[b][valid][:, None]).sum()
            n_valid += int(valid.sum())
    return torch.stack(dice_terms).mean() + ce_sum / max(n_valid, 1)


def random_case(seed, batch=3, classes=2, size=(13, 17), ignored=0.1):
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(batch, classes, *size, generator=gen) * 3
    labels = torch.randint(0, classes, (batch, *size), generator=gen)
    labels[torch.rand(labels.shape, generator=gen) < ignored] = 255
    return logits, labels


@pytest.mark.parametrize('seed,classes,ignored', [(0, 2, 0.0), (1, 2, 0.2), (2, 3, 0.1)])
def test_equals_the_formula(seed, classes, ignored):
    logits, labels = random_case(seed, classes=classes, ignored=ignored)
    torch.testing.assert_close(dice_ce_loss(logits, labels), reference(logits, labels))


def test_empty_foreground_and_fully_ignored_samples():
    logits, labels = random_case(3)
    labels[0] = 0  # no foreground in sample 0
    labels[1] = 255  # sample 1 entirely ignored (padding)
    loss = dice_ce_loss(logits, labels)
    torch.testing.assert_close(loss, reference(logits, labels))

    # As in MONAI (smooth 1e-8): on an image without lesion the lesion term is 0 only when
    # (almost) no lesion probability is left; a 1 % lesion probability everywhere costs ~1.
    def lesion_logits(value):
        return torch.stack([torch.zeros(13, 17), torch.full((13, 17), value)])[None]

    assert dice_ce_loss(lesion_logits(-40.0), labels[:1], lambda_ce=0.0).item() < 1e-3
    weak = dice_ce_loss(lesion_logits(-4.6), labels[:1], lambda_ce=0.0).item()
    assert weak == pytest.approx(0.5, abs=0.01)  # mean of ~0 (background) and ~1 (lesion)


def test_ignored_pixels_do_not_change_the_loss_or_get_gradients():
    logits, labels = random_case(4, ignored=0.3)
    logits.requires_grad_(True)
    dice_ce_loss(logits, labels).backward()
    ignored = (labels == 255).unsqueeze(1).expand_as(logits)
    assert logits.grad[ignored].abs().max() == 0
    changed = logits.detach().clone()
    changed[ignored] = torch.randn(int(ignored.sum())) * 10
    torch.testing.assert_close(dice_ce_loss(changed, labels), dice_ce_loss(logits.detach(), labels))


def test_per_class_dice_penalises_predicting_no_lesion():
    """mmseg's flattened DiceLoss is ~pixel accuracy; the per-class one sees the missed lesion."""
    labels = torch.zeros(2, 32, 32, dtype=torch.long)
    labels[:, 10:14, 10:14] = 1  # 1.6 % foreground
    all_background = torch.stack([torch.full((32, 32), 5.0), torch.full((32, 32), -5.0)])
    logits = all_background.expand(2, 2, 32, 32)
    mmseg_dice = MODELS.build(dict(type='DiceLoss', use_sigmoid=False, naive_dice=True))
    assert mmseg_dice(logits, labels).item() < 0.05
    assert dice_ce_loss(logits, labels, lambda_ce=0.0).item() > 0.49


def test_bad_labels_and_shapes_are_errors():
    logits, labels = random_case(5)
    with pytest.raises(ValueError, match='outside 0..1'):
        dice_ce_loss(logits, labels.clamp(max=254) + 2 * (labels == 1))
    with pytest.raises(ValueError, match='same size'):
        dice_ce_loss(logits, labels[:, :5])
    with pytest.raises(ValueError, match="start with 'loss_'"):
        MODELS.build(dict(type='DiceCELoss', loss_name='dice'))


CONFIGS = [
    'configs/ht/clip-ht_busi.py', 'configs/baselines/unet_busi.py',
    'configs/baselines/clip-clipseg_busi.py', 'configs/baselines/dinov2-frozen_busi.py'
]


@pytest.mark.parametrize('config', CONFIGS)
def test_every_segmentation_config_trains_with_it(config):
    cfg = Config.fromfile(str(REPO_ROOT / config))
    losses = cfg.model.decode_head.loss_decode
    losses = losses if isinstance(losses, list) else [losses]
    assert [loss['type'] for loss in losses] == ['DiceCELoss']
    assert 'auxiliary_head' not in cfg.model or not cfg.model.auxiliary_head


def test_config_losses_equal_monai():
    """The loss modules of the HT and UNet configs sum to MONAI's DiceCELoss (rel. 1e-4)."""
    monai_losses = pytest.importorskip('monai.losses')
    monai = monai_losses.DiceCELoss(
        to_onehot_y=True, softmax=True, squared_pred=True, smooth_nr=1e-8, smooth_dr=1e-8)
    logits, labels = random_case(6, batch=4, size=(32, 32), ignored=0.0)
    labels[2] = 0
    expected = monai(logits, labels[:, None]).item()
    for config in CONFIGS[:2]:
        cfg = Config.fromfile(str(REPO_ROOT / config))
        losses = cfg.model.decode_head.loss_decode
        modules = [MODELS.build(c) for c in (losses if isinstance(losses, list) else [losses])]
        total = sum(m(logits, labels, ignore_index=255) for m in modules).item()
        assert total == pytest.approx(expected, rel=1e-4)
