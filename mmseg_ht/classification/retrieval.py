"""Retrieval-augmented classification: blend a classifier with its nearest confirmed cases.

A reference bank (``reference_bank.ReferenceBank``) holds normalised image
embeddings of labelled cases. A test image's embedding is compared with all
of them (cosine similarity) and the result is blended with the classifier:

- ``knn``: the k most similar cases vote with weights ``exp(sim / T)``;
  probabilities = ``(1 - weight) * softmax(logits) + weight * votes``.
- ``tip`` (Tip-Adapter, Zhang et al. 2022, training-free): cache logits
  ``exp(-beta * (1 - sim)) @ one_hot(labels)`` are added to the logits,
  ``logits + alpha * cache``, then softmax.

``RetrievalClassifier`` is mmpretrain's ``ImageClassifier`` (same state dict,
so trained checkpoints load unchanged and ``tools/test.py`` reports it with
the usual metrics); ``RetrievalZeroShotClassifier`` blends the zero-shot
prompt-ensemble logits. Every prediction carries ``nearest_references``
(file, label, similarity), which ``NearestCasesHook`` writes out.
"""
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmpretrain.models import ImageClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from . import nearest_cases_hook  # noqa: F401  (registers NearestCasesHook)
from .reference_bank import FEATURES, ReferenceBank, ReferenceBankError
from .zero_shot import PromptEnsembleClassifier, class_scores

MODES = ('knn', 'tip')
DEFAULT_RETRIEVAL = dict(
    bank=None,
    mode='knn',
    k=16,
    temperature=0.1,
    weight=0.5,
    alpha=1.0,
    beta=5.5,
    feature='pooled',
    show=5)


def knn_votes(similarity: torch.Tensor, labels: torch.Tensor, num_classes: int, k: int,
              temperature: float) -> torch.Tensor:
    """(B, C) class distribution from the top-k similarities (B, N) to cases of ``labels`` (N,)."""
    k = min(int(k), similarity.shape[1])
    top, index = similarity.topk(k, dim=1)
    weights = torch.softmax(top / temperature, dim=1)
    votes = similarity.new_zeros(similarity.shape[0], num_classes)
    return votes.scatter_add_(1, labels[index], weights)


def tip_cache_logits(similarity: torch.Tensor, labels: torch.Tensor, num_classes: int,
                     beta: float) -> torch.Tensor:
    """Tip-Adapter's cache logits: ``exp(-beta (1 - sim)) @ one_hot(labels)`` (B, C)."""
    affinity = torch.exp(-beta * (1.0 - similarity))
    return affinity @ F.one_hot(labels, num_classes).to(similarity.dtype)


def blend(logits: torch.Tensor, similarity: torch.Tensor, labels: torch.Tensor,
          settings: Dict) -> torch.Tensor:
    """Class probabilities (B, C) of ``logits`` blended with the bank (see module doc)."""
    num_classes = logits.shape[1]
    if settings['mode'] == 'knn':
        votes = knn_votes(similarity, labels, num_classes, settings['k'], settings['temperature'])
        weight = float(settings['weight'])
        return (1.0 - weight) * logits.softmax(dim=1) + weight * votes
    cache = tip_cache_logits(similarity, labels, num_classes, settings['beta'])
    return (logits + float(settings['alpha']) * cache).softmax(dim=1)


def check_settings(retrieval: Optional[Dict]) -> Dict:
    """Complete ``retrieval`` with the defaults; a clear error for unknown keys or values."""
    unknown = set(retrieval or {}) - set(DEFAULT_RETRIEVAL)
    if unknown:
        raise ValueError(f'unknown retrieval settings {sorted(unknown)}; known: '
                         f'{sorted(DEFAULT_RETRIEVAL)}')
    settings = dict(DEFAULT_RETRIEVAL, **(retrieval or {}))
    if settings['mode'] not in MODES:
        raise ValueError(f"retrieval mode must be one of {MODES}, got {settings['mode']!r}")
    if settings['feature'] not in FEATURES:
        raise ValueError(
            f"retrieval feature must be one of {FEATURES}, got {settings['feature']!r}")
    if not 0.0 <= float(settings['weight']) <= 1.0 or int(settings['k']) < 1:
        raise ValueError('retrieval needs 0 <= weight <= 1 and k >= 1')
    return settings


class RetrievalMixin:
    """Bank handling shared by the two retrieval classifiers (``embed``/``base_logits`` differ)."""

    retrieval: Dict
    bank: Optional[ReferenceBank]

    def _init_retrieval(self, settings: Dict) -> None:
        self.retrieval = settings
        self.bank = None
        if settings['bank']:
            self.set_bank(ReferenceBank.load(settings['bank']))

    def set_bank(self, bank: ReferenceBank) -> None:
        """Use ``bank``; its feature and class count must fit this model."""
        if bank.feature != self.retrieval['feature']:
            raise ReferenceBankError(f"the bank stores {bank.feature!r} embeddings, the model "
                                     f"compares {self.retrieval['feature']!r} ones: rebuild it "
                                     'with this config')
        if len(bank.classes) != self.num_bank_classes():
            raise ReferenceBankError(f'the bank has classes {tuple(bank.classes)}, the model '
                                     f'{self.num_bank_classes()} classes')
        self.bank = bank
        self.register_buffer('bank_embeddings', bank.embeddings, persistent=False)
        self.register_buffer('bank_labels', bank.labels, persistent=False)

    def num_bank_classes(self) -> int:
        raise NotImplementedError

    def embed(self, inputs: torch.Tensor) -> torch.Tensor:
        """L2-normalised embeddings (B, E) compared with the bank."""
        raise NotImplementedError

    def base_logits_and_embeddings(self, inputs: torch.Tensor):
        raise NotImplementedError

    def similarity(self, embeddings: torch.Tensor) -> torch.Tensor:
        """Cosine similarity (B, N) of normalised embeddings with every reference case."""
        if self.bank is None:
            raise ReferenceBankError(
                'no reference bank: build one with python tools/build_reference_bank.py CONFIG '
                '--checkpoint CKPT --out BANK and set model.retrieval.bank=BANK')
        if embeddings.shape[1] != self.bank_embeddings.shape[1]:
            raise ReferenceBankError(f'bank embeddings have width {self.bank_embeddings.shape[1]},'
                                     f' the model gives {embeddings.shape[1]}: rebuild the bank '
                                     'with this config and checkpoint')
        return embeddings @ self.bank_embeddings.t()

    def nearest_references(self, similarity: torch.Tensor) -> List[List[Dict]]:
        """Per image, its ``show`` most similar cases: file, label and similarity."""
        count = min(int(self.retrieval['show']), similarity.shape[1])
        top, index = similarity.topk(count, dim=1)
        return [[
            dict(
                file=self.bank.files[j],
                label=self.bank.classes[int(self.bank.labels[j])],
                similarity=round(float(s), 4)) for s, j in zip(row_s, row_i.tolist())
        ] for row_s, row_i in zip(top, index)]

    @torch.no_grad()
    def retrieval_predict(self, inputs: torch.Tensor,
                          data_samples: Optional[List[DataSample]]) -> List[DataSample]:
        logits, embeddings = self.base_logits_and_embeddings(inputs)
        similarity = self.similarity(embeddings)
        probabilities = blend(logits, similarity, self.bank_labels, self.retrieval)
        labels = probabilities.argmax(dim=1, keepdim=True)
        data_samples = data_samples or [DataSample() for _ in range(inputs.shape[0])]
        for sample, probability, label, cases in zip(data_samples, probabilities, labels,
                                                     self.nearest_references(similarity)):
            sample.set_pred_score(probability).set_pred_label(label)
            sample.set_field(cases, 'nearest_references', field_type='metainfo')
        return data_samples


@MODELS.register_module()
class RetrievalClassifier(RetrievalMixin, ImageClassifier):
    """``ImageClassifier`` (CLIPViT + head) whose predictions are blended with a reference bank.

    Args:
        retrieval: ``bank`` (file from tools/build_reference_bank.py), ``mode``
            ('knn' or 'tip'), ``k``, ``temperature``, ``weight`` (knn), ``alpha``,
            ``beta`` (tip), ``feature`` ('pooled': CLIP's projected embedding;
            'pre_logits': the head's hidden layer), ``show`` (cases listed).
        Other arguments: those of ``ImageClassifier``; training is unchanged.
    """

    def __init__(self, backbone: dict, retrieval: Optional[Dict] = None, **kwargs) -> None:
        settings = check_settings(retrieval)
        if settings['feature'] == 'pooled':
            if backbone.get('type') not in ('CLIPViT', 'mmseg.CLIPViT'):
                raise ValueError("retrieval feature 'pooled' needs a CLIPViT backbone; use "
                                 "feature='pre_logits' for other backbones")
            backbone = dict(backbone, out_pooled=True)  # the head's in_index picks the maps
        super().__init__(backbone=backbone, **kwargs)
        self._init_retrieval(settings)

    def num_bank_classes(self) -> int:
        return int(self.head.num_classes)

    def base_logits_and_embeddings(self, inputs: torch.Tensor):
        feats = self.extract_feat(inputs)
        logits = self.head(feats)
        if self.retrieval['feature'] == 'pooled':
            embeddings = feats[-1]
        else:
            embeddings = self.head.pre_logits(feats)
        return logits, F.normalize(embeddings, dim=-1)

    def embed(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.base_logits_and_embeddings(inputs)[1]

    def predict(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None,
                **kwargs) -> List[DataSample]:
        return self.retrieval_predict(inputs, data_samples)


@MODELS.register_module()
class RetrievalZeroShotClassifier(RetrievalMixin, PromptEnsembleClassifier):
    """Zero-shot prompt ensembles blended with a reference bank (Tip-Adapter by default).

    Args:
        retrieval: as for ``RetrievalClassifier``; ``feature`` must be 'pooled'
            (the CLIP embedding that the prompts are compared with).
        Other arguments: those of ``PromptEnsembleClassifier``.
    """

    def __init__(self, retrieval: Optional[Dict] = None, **kwargs) -> None:
        settings = check_settings(dict(dict(mode='tip'), **(retrieval or {})))
        if settings['feature'] != 'pooled':
            raise ValueError("zero-shot retrieval compares CLIP embeddings: feature='pooled'")
        super().__init__(**kwargs)
        self._init_retrieval(settings)

    def num_bank_classes(self) -> int:
        return len(self.classes)

    def set_bank(self, bank: ReferenceBank) -> None:
        if tuple(bank.classes) != tuple(self.classes):
            raise ReferenceBankError(f'the bank has classes {tuple(bank.classes)}, the model '
                                     f'{tuple(self.classes)} (same order needed)')
        super().set_bank(bank)

    def base_logits_and_embeddings(self, inputs: torch.Tensor):
        embeddings = self.image_embeddings(inputs)
        scores = class_scores(embeddings, self.prompt_embeddings, self.prompt_class,
                              len(self.classes), self.rule)
        return self.logit_scale * scores, embeddings

    def embed(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.image_embeddings(inputs)

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None,
                mode: str = 'tensor'):
        if mode == 'predict':
            return self.retrieval_predict(inputs, data_samples)
        return super().forward(inputs, data_samples, mode)


def bank_classes(model: RetrievalMixin, dataset_classes: Sequence[str]) -> Sequence[str]:
    """Class names a bank built for ``model`` stores: the data set's, checked against the model."""
    if len(dataset_classes) != model.num_bank_classes():
        raise ReferenceBankError(f'the data set has classes {tuple(dataset_classes)}, the model '
                                 f'{model.num_bank_classes()} classes')
    return tuple(dataset_classes)
