"""InfoNCE against a hand-computed value; retrieval recall on a hand-made case."""
import math

import pytest
import torch

from mmseg_ht.contrastive.infonce import InfoNCELoss, positive_mask_from_ids
from mmseg_ht.contrastive.retrieval_metric import retrieval_recalls


def test_infonce_matches_hand_computation():
    # unit-norm image embeddings e1, e2; texts e1 and (0.6, 0.8); scale 10
    images = torch.tensor([[1.0, 0.0], [0.0, 2.0]])  # second one normalised inside the loss
    texts = torch.tensor([[1.0, 0.0], [0.6, 0.8]])
    s = 10.0
    # logits = s * cos: [[10, 6], [0, 8]]
    i2t = (-math.log(math.exp(10) / (math.exp(10) + math.exp(6))) -
           math.log(math.exp(8) / (math.exp(0) + math.exp(8)))) / 2
    t2i = (-math.log(math.exp(10) / (math.exp(10) + math.exp(0))) -
           math.log(math.exp(8) / (math.exp(6) + math.exp(8)))) / 2
    expected = (i2t + t2i) / 2
    loss = InfoNCELoss()(images, texts, torch.tensor(s))
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    assert InfoNCELoss(loss_weight=2.0)(images, texts, torch.tensor(s)).item() == \
        pytest.approx(2 * expected, rel=1e-6)


def test_infonce_equals_clip_loss_without_duplicates():
    torch.manual_seed(0)
    images, texts = torch.randn(6, 8), torch.randn(6, 8)
    logits = 14.0 * torch.nn.functional.normalize(images, dim=1) @ \
        torch.nn.functional.normalize(texts, dim=1).t()
    labels = torch.arange(6)
    clip = (torch.nn.functional.cross_entropy(logits, labels) +
            torch.nn.functional.cross_entropy(logits.t(), labels)) / 2
    mask = positive_mask_from_ids(torch.arange(6), torch.arange(6))
    assert torch.allclose(InfoNCELoss()(images, texts, torch.tensor(14.0), mask), clip)


def test_duplicate_captions_are_positives():
    images = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    texts = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])  # captions 0 and 1 identical
    mask = positive_mask_from_ids(torch.tensor([0, 1, 2]), torch.tensor([0, 0, 1]))
    assert mask.tolist() == [[True, True, False], [True, True, False], [False, False, True]]
    s = 10.0
    # rows 0/1: uniform target over the two identical logits 10, 10 (and 0): -log(e^10/(2e^10+1))
    row01 = -math.log(math.exp(10) / (2 * math.exp(10) + 1))
    row2 = -math.log(math.exp(10) / (math.exp(10) + 2))
    expected = (2 * row01 + row2) / 3
    assert InfoNCELoss()(images, texts, torch.tensor(s), mask).item() == \
        pytest.approx(expected, rel=1e-6)


def test_retrieval_recall_hand_case():
    # 3 pairs, images 0,1,2; texts 0,1,1 (pairs 1 and 2 share a caption)
    images = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    texts = torch.tensor([[0.0, 1.0], [1.0, 0.0], [1.0, 0.0]])
    result = retrieval_recalls(
        images, texts, torch.tensor([0, 1, 2]), torch.tensor([0, 1, 1]), topk=(1, 2))
    # gallery: texts t0=(0,1), t1=(1,0). image0 -> best t1 (wrong), image1 -> t0 (wrong),
    # image2 -> t0 (0.8 > 0.6, wrong); R@2 = 100 for all
    assert result['num_images'] == 3 and result['num_texts'] == 2
    assert result['i2t_R@1'] == pytest.approx(0.0)
    assert result['i2t_R@2'] == pytest.approx(100.0)
    # t0 (paired with image0) -> best image1 (wrong); t1 (images 1, 2) -> image0 (wrong)
    assert result['t2i_R@1'] == pytest.approx(0.0)
    # t2i R@2: t0 top-2 = image1, image2 -> miss; t1 top-2 = image0, image2 -> hit
    assert result['t2i_R@2'] == pytest.approx(50.0)
    perfect = retrieval_recalls(
        texts.clone(), texts, torch.tensor([0, 1, 2]), torch.tensor([0, 1, 1]), topk=(1, 5, 10))
    assert perfect['i2t_R@1'] == 100.0 and perfect['t2i_R@1'] == 100.0
    assert perfect['i2t_R@10'] == 100.0  # k larger than the gallery is clamped
