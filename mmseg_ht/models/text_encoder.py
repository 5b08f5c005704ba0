"""OpenCLIPTextEncoder: a frozen open_clip text tower with its tokenizer (zero-shot, stage 1).

Builds only the text tower of ``arch`` (same names as ``CLIPViT``), loads the
text part of a local CLIP weights file strictly and safely, and optionally
adds LoRA to its blocks (the paper's "LoRA V+T"). OpenAI-style text towers
(OpenAI CLIP, MetaCLIP) run offline with the BPE vocabulary shipped in
open_clip. Hugging Face text towers (BiomedCLIP's and UniMedCLIP's
BiomedBERT) need the ``transformers`` package and a local model folder set
as ``text_cfg.hf_model_name``/``hf_tokenizer_name`` in an arch dict.
"""
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.logging import MMLogger
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from open_clip.model import _build_text_tower  # pinned open_clip 3.3.0

from mmseg_ht.models.adapters.attach import attach_adapters, train_adapters_only
from mmseg_ht.models.backbones.pretrained import PretrainedMismatchError, describe_mismatch
from mmseg_ht.models.backbones.towers import ArchSpec, resolve_model_config
from mmseg_ht.utils import load_state_dict_safely

TEXT_TOP_LEVEL = ('token_embedding.', 'positional_embedding', 'transformer.', 'ln_final.',
                  'text_projection')


def select_text_tower_weights(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """The text-tower part of a CLIP state dict, in ``TextTransformer``/HF-tower names."""
    for prefix in ('text.', 'text_encoder.'):  # CustomTextCLIP, UniMedCLIP
        if any(k.startswith(prefix) for k in state_dict):
            return {k[len(prefix):]: v for k, v in state_dict.items() if k.startswith(prefix)}
    return {k: v for k, v in state_dict.items() if k.startswith(TEXT_TOP_LEVEL)}


def _build_tokenizer(text_cfg: Dict):
    from open_clip.tokenizer import HFTokenizer, SimpleTokenizer
    context_length = text_cfg.get('context_length', 77)
    if text_cfg.get('hf_tokenizer_name'):
        return HFTokenizer(text_cfg['hf_tokenizer_name'], context_length=context_length)
    return SimpleTokenizer(context_length=context_length)


@MODELS.register_module()
class OpenCLIPTextEncoder(BaseModule):
    """Frozen CLIP text tower: list of strings → text embeddings (B, E).

    Args:
        arch: open_clip model name or model-config dict (as for ``CLIPViT``).
        pretrained: local CLIP weights file (the same file as the image tower's).
        adapter: in-block adapter for the text blocks, e.g.
            ``dict(type='LoRAAdapter', rank=16, alpha=32)`` (LoRA V+T).
    """

    def __init__(self, arch: ArchSpec = 'ViT-B-16-quickgelu', pretrained: Optional[str] = None,
                 adapter: Optional[Dict] = None, init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        config = resolve_model_config(arch)
        text_cfg = config['text_cfg']
        if text_cfg.get('hf_model_name'):
            self._check_hf_available(text_cfg)
        self.tower = _build_text_tower(config['embed_dim'], text_cfg, config.get('quick_gelu', False))
        self.tokenizer = _build_tokenizer(text_cfg)
        self.pretrained_logit_scale: Optional[float] = None
        if pretrained:
            self._load(pretrained, arch if isinstance(arch, str) else 'custom')
        else:
            MMLogger.get_current_instance().warning(
                'OpenCLIPTextEncoder: no pretrained weights; the text tower is randomly initialised.')
        self.tower.requires_grad_(False)
        if adapter:
            blocks = self.tower.transformer.resblocks
            output = attach_adapters(blocks, adapter, dict(dim=self.tower.width, num_prefix_tokens=0))
            if output:
                raise ValueError(f'{adapter["type"]} acts on token maps; only in-block adapters '
                                 '(LoRAAdapter) can adapt the text tower')

    @staticmethod
    def _check_hf_available(text_cfg: Dict) -> None:
        try:
            import transformers  # noqa: F401
        except ImportError as err:
            raise ImportError(
                f"the text tower {text_cfg['hf_model_name']!r} is a Hugging Face model: install "
                '`transformers` and point text_cfg.hf_model_name/hf_tokenizer_name at a local '
                'copy of it (no downloads at run time).') from err

    def _load(self, path: Union[str, Path], arch_name: str) -> None:
        weights = load_state_dict_safely(path)
        text = select_text_tower_weights(weights)
        problems = describe_mismatch(self.tower.state_dict(), text)
        if problems:
            raise PretrainedMismatchError(
                f'{path}: text weights do not match the text tower of arch={arch_name}: '
                + '; '.join(problems))
        self.tower.load_state_dict(text, strict=True)
        if 'logit_scale' in weights:
            self.pretrained_logit_scale = float(weights['logit_scale'])

    def train(self, mode: bool = True) -> 'OpenCLIPTextEncoder':
        super().train(mode)
        train_adapters_only(self.tower, mode)
        return self

    def tokenize(self, texts: Sequence[str]) -> torch.Tensor:
        """Token ids (B, context_length) on the encoder's device."""
        device = next(self.tower.parameters()).device
        return self.tokenizer(list(texts)).to(device)

    def forward(self, texts: Union[Sequence[str], torch.Tensor]) -> torch.Tensor:
        """Embed strings (or token ids) → (B, E), not normalised."""
        tokens = texts if isinstance(texts, torch.Tensor) else self.tokenize(texts)
        return self.tower(tokens)

    @torch.no_grad()
    def encode_prompts(self, prompts: List[str], batch_size: int = 64) -> torch.Tensor:
        """L2-normalised embeddings of many prompts, in batches, without gradients."""
        chunks = [self(prompts[i:i + batch_size]) for i in range(0, len(prompts), batch_size)]
        return nn.functional.normalize(torch.cat(chunks), dim=-1)
