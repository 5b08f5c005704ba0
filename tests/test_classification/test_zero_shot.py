"""Zero-shot scoring rules and the PromptEnsembleClassifier on a tiny random CLIP."""
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

import mmseg_ht.classification  # noqa: F401  (registrations)
from mmseg_ht.classification import class_scores

TINY = 'mmseg_ht-tiny-vit16'


def test_rules_by_hand():
    images = F.normalize(torch.tensor([[1.0, 0.0], [0.6, 0.8]]), dim=-1)
    prompts = F.normalize(torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]), dim=-1)
    owner = torch.tensor([0, 0, 1])  # class 0: two orthogonal prompts, class 1: one prompt
    similarity = class_scores(images, prompts, owner, 2, 'mean_similarity')
    torch.testing.assert_close(similarity, torch.tensor([[0.5, 0.0], [0.7, 0.8]]))
    embedding = class_scores(images, prompts, owner, 2, 'mean_embedding')
    # class 0 prototype (1, 1)/sqrt(2): the rules differ exactly by the prototype norm
    torch.testing.assert_close(embedding, torch.tensor([[2**-0.5, 0.0], [1.4 / 2**0.5, 0.8]]))
    with pytest.raises(ValueError, match='unknown zero-shot rule'):
        class_scores(images, prompts, owner, 2, 'vote')


def build(rule='mean_similarity', **backbone):
    return MODELS.build(
        dict(
            type='PromptEnsembleClassifier',
            data_preprocessor=dict(type='ClsDataPreprocessor', mean=None, std=None, to_rgb=True),
            backbone=dict(type='CLIPViT', arch=TINY, **backbone),
            text_encoder=dict(arch=TINY),
            prompts='breast',
            rule=rule))


@pytest.mark.parametrize('rule', ['mean_similarity', 'mean_embedding'])
def test_classifier_scores_images_against_the_prompts(rule):
    torch.manual_seed(0)
    model = build(rule).eval()
    assert model.prompt_embeddings.shape == (20, 32) and model.logit_scale == 100.0
    images = torch.rand(2, 3, 224, 224) * 255
    samples = model(images, mode='predict')
    scores = model(images, mode='tensor')
    image = model.image_embeddings(images)
    expected = torch.stack(
        [image @ model.prompt_embeddings[model.prompt_class == c].t() for c in (0, 1)],
        dim=1).mean(-1)
    if rule == 'mean_similarity':
        torch.testing.assert_close(scores, expected)
    for sample, score in zip(samples, scores):
        torch.testing.assert_close(sample.pred_score, F.softmax(100 * score, dim=0))
        assert int(sample.pred_label) == int(score.argmax())
    with pytest.raises(RuntimeError, match='nothing to train'):
        model(images, mode='loss')


def test_adapters_without_weights_are_refused():
    with pytest.raises(ValueError, match='--checkpoint'):
        build(adapter=dict(type='HTAdapter', bottleneck=8, blocks='all'))
