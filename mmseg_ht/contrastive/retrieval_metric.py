"""Image↔text retrieval recall@K over a whole validation split.

mmpretrain's ``RetrievalRecall`` expects each sample to already carry its
score vector over the gallery, which needs the BLIP-style
``RetrievalValLoop``/``predict_all`` machinery. This metric instead collects
the embeddings the model's ``predict`` attaches, forms the gallery itself
(distinct images, distinct caption strings) and then uses
``RetrievalRecall.calculate`` for the numbers, so it runs in mmengine's
standard ``ValLoop``/``TestLoop``. A retrieved item counts as correct when it
is paired with the query anywhere in the split (identical captions of
templated corpora are one gallery item).
"""
from typing import Dict, List, Sequence

import torch
from mmengine.evaluator import BaseMetric
from mmpretrain.evaluation import RetrievalRecall
from mmpretrain.registry import METRICS


def _first_by_id(ids: torch.Tensor, embeds: torch.Tensor) -> torch.Tensor:
    unique = torch.unique(ids)
    first = torch.stack([torch.nonzero(ids == i)[0, 0] for i in unique])
    return unique, embeds[first]


def retrieval_recalls(image_embeds: torch.Tensor,
                      text_embeds: torch.Tensor,
                      image_ids: torch.Tensor,
                      text_ids: torch.Tensor,
                      topk: Sequence[int] = (1, 5, 10)) -> Dict[str, float]:
    """Recall@K (in %) for image→text and text→image over the distinct items of the pairs."""
    images, image_gallery = _first_by_id(image_ids, image_embeds)
    texts, text_gallery = _first_by_id(text_ids, text_embeds)
    matches = torch.zeros(len(images), len(texts), dtype=torch.bool)
    image_row = {int(i): r for r, i in enumerate(images)}
    text_col = {int(t): c for c, t in enumerate(texts)}
    for i, t in zip(image_ids.tolist(), text_ids.tolist()):
        matches[image_row[i], text_col[t]] = True
    scores = image_gallery.float() @ text_gallery.float().t()
    results = {}
    for name, score, target in (('i2t', scores, matches), ('t2i', scores.t(), matches.t())):
        ks = [k for k in topk]
        values = RetrievalRecall.calculate(
            score, target.long(), topk=[min(k, score.shape[1]) for k in ks])
        for k, value in zip(ks, values):
            results[f'{name}_R@{k}'] = float(value)
    results['mean_R'] = sum(results.values()) / len(results)
    results['num_images'], results['num_texts'] = len(images), len(texts)
    return results


@METRICS.register_module()
class ImageTextRetrievalRecall(BaseMetric):
    """Recall@K both ways (``retrieval/i2t_R@1`` …) and their mean (``retrieval/mean_R``)."""

    default_prefix = 'retrieval'

    def __init__(self,
                 topk: Sequence[int] = (1, 5, 10),
                 collect_device: str = 'cpu',
                 prefix: str = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.topk = tuple(topk)

    def process(self, data_batch, data_samples: Sequence) -> None:
        for sample in data_samples:
            self.results.append(
                dict(
                    image_embedding=sample['image_embedding'].cpu(),
                    text_embedding=sample['text_embedding'].cpu(),
                    image_id=int(sample['image_id']),
                    text_id=int(sample['text_id'])))

    def compute_metrics(self, results: List[Dict]) -> Dict[str, float]:
        return retrieval_recalls(
            torch.stack([r['image_embedding'] for r in results]),
            torch.stack([r['text_embedding'] for r in results]),
            torch.tensor([r['image_id'] for r in results]),
            torch.tensor([r['text_id'] for r in results]), self.topk)
