"""Zero-shot classification with prompt ensembles (``PromptEnsembleClassifier``).

Every prompt is encoded once by the frozen CLIP text tower (L2-normalised);
an image's pooled, projected embedding (L2-normalised) is compared with them:

- ``mean_similarity`` (the paper): the class score is the mean cosine
  similarity over the class's prompts. This equals the dot product with the
  *unnormalised* mean of the prompt embeddings.
- ``mean_embedding``: the prompt embeddings of a class are averaged and
  re-normalised into one prototype; the class score is its cosine similarity.
  The two rules differ exactly by the prototype norm, i.e. by how
  consistent a class's prompts are.

Scores times the logit scale (CLIP's learnt temperature from the weights
file, else 100) go through a softmax; the scale changes neither the argmax
nor the AUC ranking.
"""
import math
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.logging import MMLogger
from mmengine.model import BaseModel
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from mmseg_ht.models.text_encoder import OpenCLIPTextEncoder
from . import registration  # noqa: F401  (CLIPViT in mmpretrain's registry)
from .prompts import load_prompt_ensemble

RULES = ('mean_similarity', 'mean_embedding')
DEFAULT_LOGIT_SCALE = 100.0


def class_scores(image_embeddings: torch.Tensor, prompt_embeddings: torch.Tensor,
                 prompt_class: torch.Tensor, num_classes: int, rule: str) -> torch.Tensor:
    """(B, C) cosine scores of normalised images (B, E) against prompts (P, E) of classes (P,)."""
    if rule not in RULES:
        raise ValueError(f'unknown zero-shot rule {rule!r}; use one of {RULES}')
    counts = torch.bincount(prompt_class, minlength=num_classes).to(prompt_embeddings.dtype)
    if bool((counts == 0).any()):
        raise ValueError('every class needs at least one prompt')
    sums = prompt_embeddings.new_zeros(num_classes, prompt_embeddings.shape[1])
    sums.index_add_(0, prompt_class, prompt_embeddings)
    prototypes = sums / counts[:, None]  # mean_similarity == dot with the unnormalised mean
    if rule == 'mean_embedding':
        prototypes = F.normalize(prototypes, dim=-1)
    return image_embeddings @ prototypes.t()


@MODELS.register_module()
class PromptEnsembleClassifier(BaseModel):
    """CLIP zero-shot classifier: image tower (+ optional stage-1 adapters) vs prompt ensembles.

    Args:
        backbone: ``CLIPViT`` config; ``out_pooled`` is forced on.
            With an ``adapter``, ``adapter_checkpoint`` must name the adapted
            weights (untrained adapters would only perturb the features).
        text_encoder: ``OpenCLIPTextEncoder`` arguments (arch, pretrained, adapter).
        prompts: bundled prompt set ('breast', 'lymph_node', 'thyroid') or a JSON path.
        classes: class names in the data set's label order.
        rule: 'mean_similarity' (paper) or 'mean_embedding'.
        logit_scale: softmax temperature; None → from the text weights file, else 100.
    """

    def __init__(self,
                 backbone: dict,
                 text_encoder: dict,
                 prompts: str,
                 classes: Sequence[str] = ('benign', 'malignant'),
                 rule: str = 'mean_similarity',
                 logit_scale: Optional[float] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if rule not in RULES:
            raise ValueError(f'unknown zero-shot rule {rule!r}; use one of {RULES}')
        preprocessor = dict(data_preprocessor or {})
        preprocessor.setdefault('type', 'ClsDataPreprocessor')
        super().__init__(data_preprocessor=MODELS.build(preprocessor), init_cfg=init_cfg)
        backbone = dict(backbone, out_pooled=True)
        if backbone.get('adapter') and not backbone.get('adapter_checkpoint'):
            raise ValueError(
                f"zero-shot with {backbone['adapter'].get('type')} adapters needs their trained "
                'weights: pass --checkpoint ADAPTERS.safetensors (stage-1 output), or use a '
                'config without adapters for the plain CLIP model.')
        self.backbone = MODELS.build(backbone)
        self.classes = tuple(classes)
        self.rule = rule
        self.prompt_source = str(prompts)
        self.prompts = load_prompt_ensemble(prompts, self.classes)
        encoder_cfg = {k: v for k, v in text_encoder.items() if k != 'type'}
        encoder = OpenCLIPTextEncoder(**encoder_cfg)
        self._encode_prompts(encoder)
        self.logit_scale = float(logit_scale or self._scale_from(encoder))
        # The text tower is not kept: prompts are fixed, their embeddings are buffers.

    def _encode_prompts(self, encoder: OpenCLIPTextEncoder) -> None:
        texts: List[str] = []
        owners: List[int] = []
        for index, name in enumerate(self.classes):
            texts += self.prompts[name]
            owners += [index] * len(self.prompts[name])
        encoder.eval()
        embeddings = encoder.encode_prompts(texts)
        self.register_buffer('prompt_embeddings', embeddings, persistent=False)
        self.register_buffer(
            'prompt_class', torch.tensor(owners, dtype=torch.long), persistent=False)
        if len(self.classes) == 2:
            first, second = (
                F.normalize(embeddings[self.prompt_class == i].mean(0), dim=0) for i in range(2))
            MMLogger.get_current_instance().info(
                f'zero-shot: {len(texts)} prompts ({self.prompt_source}); cosine similarity of '
                f'the two class prototypes {float(first @ second):.4f}')

    @staticmethod
    def _scale_from(encoder: OpenCLIPTextEncoder) -> float:
        stored = encoder.pretrained_logit_scale  # CLIP stores log(scale)
        return min(math.exp(stored), 100.0) if stored is not None else DEFAULT_LOGIT_SCALE

    def image_embeddings(self, inputs: torch.Tensor) -> torch.Tensor:
        """L2-normalised pooled image embeddings (B, E)."""
        pooled = self.backbone(inputs)[-1]
        if pooled.shape[-1] != self.prompt_embeddings.shape[-1]:
            raise ValueError(f'image embedding width {pooled.shape[-1]} differs from the text '
                             f'embedding width {self.prompt_embeddings.shape[-1]}: image and text '
                             'towers must come from the same CLIP model')
        return F.normalize(pooled, dim=-1)

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None,
                mode: str = 'tensor'):
        if mode == 'loss':
            raise RuntimeError('PromptEnsembleClassifier has nothing to train; use '
                               'tools/zero_shot.py (it only tests)')
        with torch.no_grad():
            scores = class_scores(
                self.image_embeddings(inputs), self.prompt_embeddings, self.prompt_class,
                len(self.classes), self.rule)
        if mode == 'tensor':
            return scores
        if mode != 'predict':
            raise ValueError(f'invalid mode {mode!r}')
        probabilities = F.softmax(self.logit_scale * scores, dim=1)
        labels = probabilities.argmax(dim=1, keepdim=True)
        data_samples = data_samples or [DataSample() for _ in range(inputs.shape[0])]
        for sample, probability, label in zip(data_samples, probabilities, labels):
            sample.set_pred_score(probability).set_pred_label(label)
        return data_samples

    def prompt_summary(self) -> Dict[str, int]:
        """Number of prompts per class."""
        return {name: len(p) for name, p in self.prompts.items()}
