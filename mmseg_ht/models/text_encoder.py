"""OpenCLIPTextEncoder: a frozen open_clip text tower with its tokenizer (zero-shot, stage 1).

Builds only the text tower of ``arch`` (same names as ``CLIPViT``), loads the
text part of a local CLIP weights file strictly and safely, and optionally
adds LoRA to its blocks (the paper's "LoRA V+T"). OpenAI-style text towers
(OpenAI CLIP, MetaCLIP) run offline with the BPE vocabulary shipped in
open_clip. Hugging Face text towers (BiomedCLIP's and UniMedCLIP's
BiomedBERT) need ``transformers`` and a local model folder (``text_model_dir``:
config + tokenizer files); see ``hf_text_tower``. Nothing is downloaded.
"""
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.logging import MMLogger
from mmseg.registry import MODELS
from open_clip.model import _build_text_tower  # pinned open_clip 3.3.0

from mmseg_ht.models import hf_text_tower as hf
from mmseg_ht.models.adapters import AdaptedTower, log_parameter_report
from mmseg_ht.models.backbones.pretrained import PretrainedMismatchError
from mmseg_ht.models.backbones.towers import ArchSpec, resolve_model_config
from mmseg_ht.utils import check_fits, load_state_dict_safely

TEXT_TOP_LEVEL = ('token_embedding.', 'positional_embedding', 'transformer.', 'ln_final.',
                  'text_projection')
TEXT_PREFIXES = ('text.', 'text_encoder.')  # open_clip CustomTextCLIP (BiomedCLIP), UniMedCLIP


def select_text_tower_weights(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """The text-tower part of a CLIP state dict, in ``TextTransformer``/HF-tower names."""
    for prefix in TEXT_PREFIXES:
        if any(k.startswith(prefix) for k in state_dict):
            return {k[len(prefix):]: v for k, v in state_dict.items() if k.startswith(prefix)}
    return {k: v for k, v in state_dict.items() if k.startswith(TEXT_TOP_LEVEL)}


def _build_openai_tower(config: Dict):
    """open_clip's ``TextTransformer`` and its bundled BPE tokenizer (offline)."""
    from open_clip.tokenizer import SimpleTokenizer
    text_cfg = config['text_cfg']
    tower = _build_text_tower(config['embed_dim'], text_cfg, config.get('quick_gelu', False))
    return tower, SimpleTokenizer(context_length=text_cfg.get('context_length', 77))


@MODELS.register_module()
class OpenCLIPTextEncoder(AdaptedTower):
    """Frozen CLIP text tower: list of strings → text embeddings (B, E).

    Attaching, freezing and the adapter weights (LoRA factors) are ``AdaptedTower``'s.

    Args:
        arch: open_clip model name or model-config dict (as for ``CLIPViT``);
            BiomedCLIP: 'BiomedCLIP-PubMedBERT_256-vit_base_patch16_224',
            UniMedCLIP: 'UniMedCLIP-ViT-B-16-quickgelu' (configs ship with mmseg_ht).
        pretrained: local CLIP weights file (the same file as the image tower's).
        adapter: in-block adapter for the text blocks, e.g.
            ``dict(type='LoRAAdapter', rank=16, alpha=32)`` (LoRA V+T; on BERT
            it wraps each layer's query/key/value projections).
        text_model_dir: local Hugging Face folder (config + tokenizer files) of
            a BERT text tower; required for BiomedCLIP/UniMedCLIP, refused for
            OpenAI-style towers. Without ``pretrained``, BERT weights in the
            folder (model.safetensors / pytorch_model.bin) are used if present.
    """

    tower_kind = 'text'

    def __init__(self,
                 arch: ArchSpec = 'ViT-B-16-quickgelu',
                 pretrained: Optional[str] = None,
                 adapter: Optional[Dict] = None,
                 text_model_dir: Optional[str] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        config = resolve_model_config(arch)
        self.arch_name = arch if isinstance(arch, str) else 'custom'
        self.is_hf = hf.is_hf_text_cfg(config['text_cfg'])
        if self.is_hf:
            self.tower, self.tokenizer, folder = hf.build_hf_text_tower(
                config['embed_dim'], config['text_cfg'], text_model_dir)
            self.text_model_dir = str(folder)
        elif text_model_dir:
            raise ValueError(f'text_model_dir={text_model_dir!r} is only for Hugging Face text '
                             f'towers (BiomedCLIP, UniMedCLIP); arch={self.arch_name} has an '
                             'OpenAI-style text tower: remove it')
        else:
            self.tower, self.tokenizer = _build_openai_tower(config)
        self.pretrained_logit_scale: Optional[float] = None
        if pretrained:
            self._load(pretrained)
        elif not (self.is_hf and self._load_folder_weights()):
            MMLogger.get_current_instance().warning('OpenCLIPTextEncoder: no pretrained weights; '
                                                    'the text tower is randomly initialised.')
        self.freeze_tower()
        self.attach_adapters(
            adapter,
            dict(dim=hf.text_width(self.tower), num_prefix_tokens=0),
            output_adapters=False)
        if adapter:
            log_parameter_report(self)

    def tower_blocks(self) -> nn.ModuleList:
        """The text tower's blocks (open_clip resblocks or BERT layers)."""
        return hf.text_blocks(self.tower)

    def _check_and_load(self, weights: Dict[str, torch.Tensor], source: str, what: str) -> None:
        check_fits(self.tower.state_dict(), weights, PretrainedMismatchError,
                   f'{source}: {what} do not match the text tower of arch={self.arch_name}')
        self.tower.load_state_dict(weights, strict=True)

    def _load(self, path: Union[str, Path]) -> None:
        weights = load_state_dict_safely(path)
        text = select_text_tower_weights(weights)
        if self.is_hf:
            if not any(k.startswith(TEXT_PREFIXES) for k in weights):
                raise PretrainedMismatchError(
                    f'{path}: no text-tower weights (text.* as in BiomedCLIP, text_encoder.* as '
                    'in UniMedCLIP); give the full CLIP checkpoint as the text pretrained file')
            text = hf.released_text_weights(text, path)
        self._check_and_load(text, str(path), 'text weights')
        if 'logit_scale' in weights:
            self.pretrained_logit_scale = float(weights['logit_scale'])

    def _load_folder_weights(self) -> bool:
        """BERT weights from ``text_model_dir`` (projection stays random); False if none there."""
        found = hf.folder_text_weights(Path(self.text_model_dir))
        if found is None:
            return False
        path, bert = found
        projection = {
            k: v
            for k, v in self.tower.state_dict().items() if not k.startswith('transformer.')
        }
        self._check_and_load(dict(bert, **projection), str(path), 'BERT weights')
        MMLogger.get_current_instance().warning(
            f'OpenCLIPTextEncoder: BERT weights from {path}; the text projection is randomly '
            'initialised (give the CLIP weights file as pretrained for the trained one).')
        return True

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
