"""LoRA (Hu et al., 2022) on the attention projections of CLIP ViT blocks.

Works on open_clip's ``ResidualAttentionBlock``, whose ``nn.MultiheadAttention``
keeps q, k, v in one fused ``in_proj_weight``, timm's ``Block`` (``attn.qkv``,
``attn.proj``) and Hugging Face BERT layers (BiomedCLIP/UniMedCLIP text towers:
separate ``attention.self.query/key/value``, ``attention.output.dense``). A fused
projection stays one matmul; the low-rank updates of the targeted q/k/v slices
share one down-projection and never materialise a D×D product.
"""
import math
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmseg_ht.registry import ADAPTERS
from .base import BaseAdapter

QKV_TARGETS = ('q', 'k', 'v')
ALL_TARGETS = QKV_TARGETS + ('o', )
BERT_PROJECTIONS = {'q': 'query', 'k': 'key', 'v': 'value'}  # BertSelfAttention attributes


class LoRAModule(nn.Module):
    """Marker base: LoRA layers inside a frozen tower follow the backbone's train mode."""


def _init_low_rank(down: torch.Tensor, up: torch.Tensor) -> None:
    """Standard LoRA init: Kaiming-uniform A, zero B (the update starts at 0)."""
    nn.init.kaiming_uniform_(down, a=math.sqrt(5))
    nn.init.zeros_(up)


class LoRAQKVProjection(LoRAModule):
    """Frozen fused qkv projection plus low-rank updates of selected slices."""

    def __init__(self,
                 weight: nn.Parameter,
                 bias: Optional[nn.Parameter],
                 targets: Sequence[str],
                 rank: int,
                 alpha: float,
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.weight, self.bias = weight, bias
        dim = weight.shape[1]
        self.targets = tuple(t for t in QKV_TARGETS if t in targets)
        self.register_buffer(
            'target_index',
            torch.tensor([QKV_TARGETS.index(t) for t in self.targets]),
            persistent=False)
        self.scale = alpha / rank
        self.lora_down = nn.Parameter(torch.empty(rank * len(self.targets), dim))
        self.lora_up = nn.Parameter(torch.empty(len(self.targets), dim, rank))
        for i in range(len(self.targets)):
            _init_low_rank(self.lora_down[i * rank:(i + 1) * rank], self.lora_up[i])
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        qkv = F.linear(x, self.weight, self.bias)
        n, rank = len(self.targets), self.lora_up.shape[-1]
        low = F.linear(self.dropout(x), self.lora_down).unflatten(-1, (n, rank))
        delta = torch.einsum('...nr,ndr->...nd', low, self.lora_up) * self.scale
        qkv = qkv.unflatten(-1, (3, -1))
        if n == 3:
            qkv = qkv + delta
        else:
            qkv = qkv.index_add(-2, self.target_index, delta.to(qkv.dtype))
        return qkv.flatten(-2)


class LoRALinear(LoRAModule):
    """A frozen ``nn.Linear`` plus a low-rank update."""

    def __init__(self, base: nn.Linear, rank: int, alpha: float, dropout: float = 0.0) -> None:
        super().__init__()
        self.base = base
        self.scale = alpha / rank
        self.lora_down = nn.Parameter(torch.empty(rank, base.in_features))
        self.lora_up = nn.Parameter(torch.empty(base.out_features, rank))
        _init_low_rank(self.lora_down, self.lora_up)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        update = F.linear(F.linear(self.dropout(x), self.lora_down), self.lora_up)
        return self.base(x) + update * self.scale


class LoRAMultiheadAttention(LoRAModule):
    """Self-attention equivalent to a given ``nn.MultiheadAttention``, with LoRA.

    Reuses the original (frozen) parameters; computes attention with
    ``F.scaled_dot_product_attention``. Only self-attention is supported,
    which is how CLIP's towers call it.
    """

    def __init__(self,
                 attn: nn.MultiheadAttention,
                 targets: Sequence[str],
                 rank: int,
                 alpha: float,
                 dropout: float = 0.0) -> None:
        super().__init__()
        if not attn._qkv_same_embed_dim:
            raise ValueError('LoRA needs a fused in_proj_weight (kdim == vdim == embed_dim)')
        self.num_heads = attn.num_heads
        self.batch_first = attn.batch_first
        self.dropout_p = attn.dropout
        self.in_proj = LoRAQKVProjection(attn.in_proj_weight, attn.in_proj_bias, targets, rank,
                                         alpha, dropout)
        self.out_proj = (
            LoRALinear(attn.out_proj, rank, alpha, dropout) if 'o' in targets else attn.out_proj)

    def forward(self,
                query: torch.Tensor,
                key: torch.Tensor,
                value: torch.Tensor,
                need_weights: bool = False,
                attn_mask: Optional[torch.Tensor] = None,
                **kwargs) -> tuple:
        if not (query is key is value):
            raise NotImplementedError('LoRAMultiheadAttention supports self-attention only')
        if need_weights:
            raise NotImplementedError('attention weights are not returned (need_weights=False)')
        x = query if self.batch_first else query.transpose(0, 1)
        q, k, v = self.in_proj(x).unflatten(-1, (3, self.num_heads, -1)).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(
            q, k, v, attn_mask=attn_mask, dropout_p=self.dropout_p if self.training else 0.0)
        out = self.out_proj(out.transpose(1, 2).flatten(2))
        return (out if self.batch_first else out.transpose(0, 1)), None


@ADAPTERS.register_module()
class LoRAAdapter(BaseAdapter):
    """Adds LoRA to a block's attention projections.

    Args:
        targets: any of 'q', 'k', 'v', 'o' (paper: q, k, v).
        rank, alpha: LoRA rank r and scaling α (update scaled by α / r;
            reference code r=16, α=32).
        dropout: dropout on the LoRA input.
    """

    acts_on_output = False

    def __init__(self,
                 dim: int,
                 grid_size=(14, 14),
                 num_prefix_tokens: int = 1,
                 rank: int = 16,
                 alpha: float = 32.0,
                 targets: Sequence[str] = QKV_TARGETS,
                 dropout: float = 0.0) -> None:
        super().__init__(dim, grid_size, num_prefix_tokens)
        unknown = set(targets) - set(ALL_TARGETS)
        if unknown or not targets:
            raise ValueError(
                f'LoRA targets must be a non-empty subset of {ALL_TARGETS}, got {targets}')
        self.rank, self.alpha, self.dropout = rank, alpha, dropout
        self.targets = tuple(targets)

    def attach(self, block: nn.Module) -> None:
        """Replace the attention projections of ``block`` by LoRA versions."""
        attn = getattr(block, 'attn', None)
        qkv_targets = [t for t in self.targets if t in QKV_TARGETS]
        if isinstance(attn, nn.MultiheadAttention):
            block.attn = LoRAMultiheadAttention(attn, self.targets, self.rank, self.alpha,
                                                self.dropout)
        elif attn is not None and isinstance(getattr(attn, 'qkv', None), nn.Linear):
            if qkv_targets:
                base = attn.qkv
                attn.qkv = LoRAQKVProjection(base.weight, base.bias, qkv_targets, self.rank,
                                             self.alpha, self.dropout)
            if 'o' in self.targets:
                attn.proj = LoRALinear(attn.proj, self.rank, self.alpha, self.dropout)
        elif isinstance(getattr(getattr(block, 'attention', None), 'self', None), nn.Module):
            self._attach_bert(block.attention)
        else:
            raise TypeError(
                f'cannot add LoRA to {type(block).__name__}: expected an open_clip '
                'ResidualAttentionBlock (attn: nn.MultiheadAttention), a timm Block '
                '(attn.qkv: nn.Linear) or a Hugging Face BERT layer (attention.self.query)')

    def _attach_bert(self, attention: nn.Module) -> None:
        """Wrap a BERT layer's separate q/k/v projections (and the output dense for 'o')."""
        for target in self.targets:
            owner, name = ((attention.output, 'dense') if target == 'o' else
                           (attention.self, BERT_PROJECTIONS[target]))
            setattr(owner, name,
                    LoRALinear(getattr(owner, name), self.rank, self.alpha, self.dropout))
