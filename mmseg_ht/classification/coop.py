"""CoOp: learnable prompt context for few-shot CLIP classification (Zhou et al., IJCV 2022).

Instead of hand-written prompts, each class is described to the frozen text
tower as ``[V1] ... [VM] <class name>.`` where V1..VM are M learnable word
embeddings shared by all classes. They replace, via a forward hook on the
token embedding that lives only for the call, the embeddings of M
placeholder tokens after the start token, so the tower's own forward
(positional embedding, causal mask, end-token pooling, projection) runs
unchanged for OpenAI-style and Hugging Face text towers alike. Only the
context (and optional text-tower LoRA) trains; the image tower and its
(stage-1) adapters stay frozen. ``save_prompt_context`` /
``load_prompt_context`` write and read the learned context as safetensors,
as adapter files are.
"""
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import BaseModel, is_model_wrapper
from mmpretrain.registry import HOOKS, MODELS
from mmpretrain.structures import DataSample

from mmseg_ht.models.text_encoder import OpenCLIPTextEncoder
from mmseg_ht.utils import check_fits, load_state_dict_safely, save_state_dict_safely
from . import registration  # noqa: F401  (CLIPViT in mmpretrain's registry)
from .zero_shot import PromptEnsembleClassifier

PLACEHOLDER = 'X'


def token_embedding_of(tower: nn.Module) -> nn.Embedding:
    """The word-embedding layer of an open_clip text tower (OpenAI-style or Hugging Face)."""
    if isinstance(getattr(tower, 'token_embedding', None), nn.Embedding):
        return tower.token_embedding
    transformer = getattr(tower, 'transformer', None)
    if hasattr(transformer, 'get_input_embeddings'):
        return transformer.get_input_embeddings()
    raise ValueError(f'{type(tower).__name__}: no token embedding found for prompt learning')


class PromptContext(nn.Module):
    """M learnable context vectors in front of every class name (see module doc).

    Args:
        encoder: the frozen text encoder (its tokenizer and token embedding are used).
        classes: class names, in label order.
        n_ctx: number of context vectors M (ignored when ``ctx_init`` is given).
        ctx_init: a phrase (e.g. 'an ultrasound image of a') whose word
            embeddings initialise the context; None → N(0, 0.02) as in CoOp.
    """

    def __init__(self,
                 encoder: OpenCLIPTextEncoder,
                 classes: Sequence[str],
                 n_ctx: int = 16,
                 ctx_init: Optional[str] = None) -> None:
        super().__init__()
        embedding = token_embedding_of(encoder.tower)
        init = None
        if ctx_init:
            phrase = encoder.tokenize([ctx_init])[0]
            length = int((phrase != 0).sum()) - 2  # without start and end tokens
            with torch.no_grad():
                init = embedding(phrase[1:1 + length]).clone()
            n_ctx = length
        if n_ctx < 1:
            raise ValueError(f'prompt context needs n_ctx >= 1, got {n_ctx}')
        self.n_ctx = int(n_ctx)
        self.classes = tuple(classes)
        texts = [
            f'{" ".join([PLACEHOLDER] * self.n_ctx)} {name.replace("_", " ")}.'
            for name in self.classes
        ]
        tokens = encoder.tokenize(texts).cpu()
        slots = tokens[:, 1:1 + self.n_ctx]
        if not bool((slots == slots[0, 0]).all()):
            raise ValueError('the text tokenizer does not map the placeholder to one token per '
                             'context vector; prompt learning cannot place the context')
        self.register_buffer('tokens', tokens, persistent=False)
        width = embedding.weight.shape[1]
        context = init if init is not None else torch.randn(self.n_ctx, width) * 0.02
        self.context = nn.Parameter(context.float())

    def forward(self, encoder: OpenCLIPTextEncoder) -> torch.Tensor:
        """L2-normalised class text embeddings (C, E) with the current context."""
        count = self.tokens.shape[0]

        def insert_context(module, args, output):
            context = self.context.to(output.dtype).unsqueeze(0).expand(count, -1, -1)
            return torch.cat([output[:, :1], context, output[:, 1 + self.n_ctx:]], dim=1)

        handle = token_embedding_of(encoder.tower).register_forward_hook(insert_context)
        try:
            features = encoder(self.tokens)
        finally:
            handle.remove()
        return F.normalize(features, dim=-1)


@MODELS.register_module()
class CoOpClassifier(BaseModel):
    """CLIP image tower (frozen) vs class prompts with a learned context.

    Args:
        backbone: ``CLIPViT`` config (``out_pooled`` forced on); adapters need
            their trained ``adapter_checkpoint`` (they stay frozen).
        text_encoder: ``OpenCLIPTextEncoder`` arguments; a LoRA ``adapter``
            there trains together with the context.
        classes: class names in the data set's label order.
        n_ctx, ctx_init: see ``PromptContext``.
        context_checkpoint: a file from ``save_prompt_context`` to start from.
        logit_scale: softmax temperature; None → from the text weights file, else 100.
        loss: mmpretrain loss on the scaled cosine logits (cross-entropy, as CoOp).
    """

    def __init__(self,
                 backbone: dict,
                 text_encoder: dict,
                 classes: Sequence[str] = ('benign', 'malignant'),
                 n_ctx: int = 16,
                 ctx_init: Optional[str] = None,
                 context_checkpoint: Optional[str] = None,
                 logit_scale: Optional[float] = None,
                 loss: dict = dict(type='CrossEntropyLoss', loss_weight=1.0),
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        preprocessor = dict(data_preprocessor or {})
        preprocessor.setdefault('type', 'ClsDataPreprocessor')
        super().__init__(data_preprocessor=MODELS.build(preprocessor), init_cfg=init_cfg)
        if backbone.get('adapter') and not backbone.get('adapter_checkpoint'):
            raise ValueError('CoOp keeps the image adapters frozen: give their trained weights '
                             '(model.backbone.adapter_checkpoint), or use a config without them')
        self.backbone = MODELS.build(dict(backbone, out_pooled=True))
        self.backbone.requires_grad_(False)
        self.text_encoder = OpenCLIPTextEncoder(**{
            k: v
            for k, v in text_encoder.items() if k != 'type'
        })
        self.classes = tuple(classes)
        self.prompt_context = PromptContext(self.text_encoder, self.classes, n_ctx, ctx_init)
        if context_checkpoint:
            load_prompt_context(self, context_checkpoint)
        self.logit_scale = float(
            logit_scale or PromptEnsembleClassifier._scale_from(self.text_encoder))
        self.loss_module = MODELS.build(loss)

    def train(self, mode: bool = True) -> 'CoOpClassifier':
        super().train(mode)
        self.backbone.eval()  # frozen, adapters included
        return self

    def logits(self, inputs: torch.Tensor) -> torch.Tensor:
        """Scaled cosine similarities (B, C) of the images with the class prompts."""
        with torch.no_grad():
            images = F.normalize(self.backbone(inputs)[-1], dim=-1)
        texts = self.prompt_context(self.text_encoder)
        if images.shape[-1] != texts.shape[-1]:
            raise ValueError(f'image embedding width {images.shape[-1]} differs from the text '
                             f'embedding width {texts.shape[-1]}: use towers of one CLIP model')
        return self.logit_scale * images @ texts.t()

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None,
                mode: str = 'tensor'):
        logits = self.logits(inputs)
        if mode == 'tensor':
            return logits
        if mode == 'loss':
            labels = torch.cat([s.gt_label for s in data_samples]).to(logits.device)
            return dict(loss=self.loss_module(logits, labels))
        if mode != 'predict':
            raise ValueError(f'invalid mode {mode!r}')
        probabilities = logits.softmax(dim=1)
        labels = probabilities.argmax(dim=1, keepdim=True)
        data_samples = data_samples or [DataSample() for _ in range(inputs.shape[0])]
        for sample, probability, label in zip(data_samples, probabilities, labels):
            sample.set_pred_score(probability.detach()).set_pred_label(label)
        return data_samples


def context_state_dict(model: CoOpClassifier) -> Dict[str, torch.Tensor]:
    """What CoOp learned: the context and any text-tower LoRA factors."""
    state = {'context': model.prompt_context.context.detach()}
    text = model.text_encoder.adapter_state_dict()
    state.update({f'text.{k}': v.detach() for k, v in text.items()})
    return state


def save_prompt_context(model: CoOpClassifier, path: Union[str, Path]) -> Path:
    """Write the learned context (and text LoRA) as safetensors with its class names."""
    metadata = dict(
        format='mmseg_ht-prompt-context',
        classes=','.join(model.classes),
        n_ctx=str(model.prompt_context.n_ctx))
    return save_state_dict_safely(context_state_dict(model), path, metadata=metadata)


def load_prompt_context(model: CoOpClassifier, path: Union[str, Path]) -> None:
    """Load a learned context into ``model``; an error names the file and the mismatch."""
    weights = load_state_dict_safely(path)
    expected = context_state_dict(model)
    check_fits(
        expected, weights, ValueError, f'{path}: prompt context does not fit this CoOp model',
        'It must come from a model with the same text tower, n_ctx and text adapter '
        'settings.')
    with torch.no_grad():
        model.prompt_context.context.copy_(weights['context'])
        for name, param in model.text_encoder.adapter_state_dict().items():
            param.copy_(weights[f'text.{name}'])


@HOOKS.register_module()
class PromptContextExportHook(Hook):
    """After training, write ``<work_dir>/prompt_context.safetensors`` (a few KB)."""

    priority = 'LOW'

    def after_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        path = save_prompt_context(model, Path(runner.work_dir) / 'prompt_context.safetensors')
        print_log(f'PromptContextExportHook: wrote {path}', logger='current')
