"""CLIPSegHead: CLIPSeg's text-conditioned decoder on a frozen CLIP image tower (baseline).

Follows CLIPSeg (Lüddecke & Ecker, "Image Segmentation Using Text and Image
Prompts", CVPR 2022, ``CLIPDensePredT``):

- the token maps of blocks 3/6/9 are taken deepest-first; per level a
  ``Linear(768 → reduce_dim)`` is added to the running activation
  (``a = reduce_i(x_i) + a``);
- after the first level the text condition modulates it with FiLM
  (``a = film_mul(c) * a + film_add(c)``);
- a ``nn.TransformerEncoderLayer(reduce_dim, nhead)`` (PyTorch defaults as in
  CLIPSeg: dim_feedforward 2048, dropout 0.1, ReLU, post-norm) follows every level;
- CLIPSeg's "complex" transposed-convolution upsampler (conv 3×3 + ReLU,
  ConvTranspose ×4 + ReLU, ConvTranspose ×4) brings the 14×14 grid to the
  input size; here its last layer gives ``channels`` maps and
  ``BaseDecodeHead.cls_seg`` the class logits (CLIPSeg outputs one binary map).

Differences to CLIPSeg: the CLS token is not part of the decoder's sequence
(``CLIPViT`` hands out patch-token maps), and the condition is a fixed text
embedding per data set (a prompt ensemble: the mean of the L2-normalised
embeddings of ``prompts``), computed once at build time by
``OpenCLIPTextEncoder``. The text tower is not kept: only the embedding is,
as a buffer, so checkpoints stay small and carry the condition they were
trained with.
"""
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.logging import MMLogger
from mmseg.registry import MODELS

from mmseg_ht.models.text_encoder import OpenCLIPTextEncoder
from mmseg_ht.utils import warn_random_init
from .multi_level_head import MultiLevelDecodeHead


def encode_prompt_ensemble(text_encoder: Dict, prompts: Sequence[str]) -> torch.Tensor:
    """Mean of the L2-normalised text embeddings of ``prompts`` (E,), via a temporary text tower."""
    if isinstance(prompts, str) or not prompts:
        raise ValueError(f'prompts must be a non-empty list of strings, got {prompts!r}')
    cfg = dict(text_encoder)
    cfg.pop('type', None)
    if not cfg.get('pretrained'):
        warn_random_init(
            'CLIPSegHead',
            'model.decode_head.text_encoder.pretrained',
            'the text tower that gives the text condition',
            'Results are meaningless for anything but smoke tests.',
            'Set it to the same local CLIP weights file as model.backbone.pretrained. (Testing a '
            'trained checkpoint is fine: the condition it was trained with is saved in it and '
            'replaces this one.)',
            stacklevel=3)
    encoder = OpenCLIPTextEncoder(**cfg).eval()
    return encoder.encode_prompts(list(prompts)).mean(dim=0)


@MODELS.register_module()
class CLIPSegHead(MultiLevelDecodeHead):
    """CLIPSeg decoder conditioned on a fixed text prompt (ensemble).

    Args:
        in_channels: widths of the backbone outputs (768 each for ViT-B/16).
        in_index: which backbone outputs to use, shallow to deep (blocks 3, 6, 9).
        channels: maps produced by the upsampler, classified by ``cls_seg``.
        reduce_dim: decoder width (CLIPSeg: 64).
        num_heads: heads of the decoder's transformer layers (CLIPSeg: 4).
        dim_feedforward: their feed-forward width (PyTorch/CLIPSeg default 2048).
        upsample_kernels: kernel = stride of the two transposed convolutions
            (CLIPSeg: patch_size // 4 each, i.e. (4, 4) for /16 patches).
        text_encoder: ``OpenCLIPTextEncoder`` arguments (``arch``, ``pretrained``:
            the same CLIP weights file as the image tower).
        prompts: text prompts whose normalised embeddings are averaged.
        Other arguments as ``BaseDecodeHead``; ``dropout_ratio`` defaults to 0.
    """

    def __init__(self,
                 in_channels: Sequence[int] = (768, 768, 768),
                 in_index: Sequence[int] = (0, 1, 2),
                 channels: int = 32,
                 reduce_dim: int = 64,
                 num_heads: int = 4,
                 dim_feedforward: int = 2048,
                 upsample_kernels: Sequence[int] = (4, 4),
                 text_encoder: Optional[Dict] = None,
                 prompts: Sequence[str] = ('a lesion in an ultrasound image', ),
                 dropout_ratio: float = 0.0,
                 **kwargs) -> None:
        super().__init__(in_channels, channels, in_index, dropout_ratio, **kwargs)
        self.prompts = list(prompts)
        condition = encode_prompt_ensemble(text_encoder or {}, self.prompts)
        self.register_buffer('text_condition', condition)  # saved in checkpoints
        cond_dim = condition.shape[-1]
        # Index 0 = the deepest level, the first the decoder sees (CLIPSeg's order).
        self.reduces = nn.ModuleList(nn.Linear(c, reduce_dim) for c in reversed(in_channels))
        self.film_mul = nn.Linear(cond_dim, reduce_dim)
        self.film_add = nn.Linear(cond_dim, reduce_dim)
        self.blocks = nn.ModuleList(
            nn.TransformerEncoderLayer(
                d_model=reduce_dim,
                nhead=num_heads,
                dim_feedforward=dim_feedforward,
                batch_first=True) for _ in in_channels)
        k1, k2 = (int(k) for k in upsample_kernels)
        self.trans_conv = nn.Sequential(
            nn.Conv2d(reduce_dim, reduce_dim, kernel_size=3, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(reduce_dim, reduce_dim // 2, kernel_size=k1, stride=k1), nn.ReLU(),
            nn.ConvTranspose2d(reduce_dim // 2, channels, kernel_size=k2, stride=k2))
        MMLogger.get_current_instance().info(
            f'CLIPSegHead: condition = mean of {len(self.prompts)} prompt embedding(s) '
            f'{self.prompts}')

    def forward(self, inputs: List[torch.Tensor]) -> torch.Tensor:
        """Class logits at the upsampled resolution (B, num_classes, 16h, 16w)."""
        maps = self._transform_inputs(inputs)
        batch, _, height, width = maps[0].shape
        cond = self.text_condition.to(maps[0].dtype).expand(batch, -1)
        activation = None
        for level, (x, reduce, block) in enumerate(zip(maps[::-1], self.reduces, self.blocks)):
            tokens = reduce(x.flatten(2).transpose(1, 2))  # (B, h*w, reduce_dim)
            activation = tokens if activation is None else tokens + activation
            if level == 0:
                activation = (
                    self.film_mul(cond).unsqueeze(1) * activation +
                    self.film_add(cond).unsqueeze(1))
            activation = block(activation)
        fmap = activation.transpose(1, 2).reshape(batch, -1, height, width)
        return self.cls_seg(self.trans_conv(fmap))


__all__ = ['CLIPSegHead', 'encode_prompt_ensemble']
