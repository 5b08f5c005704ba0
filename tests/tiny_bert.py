"""A tiny random BERT folder and tiny BiomedCLIP/UniMedCLIP archs for offline text-tower tests.

The folder holds what a user copies from the Hugging Face model page (config.json,
vocab.txt, tokenizer files), written here with transformers at width 32; the
archs are the bundled BiomedCLIP/UniMedCLIP configs with a tiny image tower and
the released text settings (MLP projection, CLS pooling, 256 tokens) unchanged.
"""
import copy
import socket
import string
from pathlib import Path

import pytest

from tests.tiny_towers import TINY_OPENCLIP_ARCH, TINY_TIMM_ARCH

BERT_WIDTH, BERT_LAYERS, BERT_INTERMEDIATE, BERT_POSITIONS = 32, 2, 64, 256
SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
WORDS = [
    'mass', 'oval', 'round', 'irregular', 'margin', 'benign', 'malignant', 'lesion', 'node',
    'lymph', 'thyroid', 'breast', 'ultrasound', 'hypoechoic', 'shadowing'
]
VOCAB = (
    SPECIAL + WORDS + list(string.ascii_lowercase) + [f'##{c}' for c in string.ascii_lowercase] +
    list(string.digits) + list(string.punctuation))
BIOMEDCLIP = 'BiomedCLIP-PubMedBERT_256-vit_base_patch16_224'
UNIMEDCLIP = 'UniMedCLIP-ViT-B-16-quickgelu'
IMAGE_ARCHS = {BIOMEDCLIP: (TINY_TIMM_ARCH, 160), UNIMEDCLIP: (TINY_OPENCLIP_ARCH, 32)}
EMBED = 32  # embed_dim of the tiny image towers


def tiny_medical_arch(name: str) -> dict:
    """The bundled config ``name`` with a tiny image tower (embed_dim 32); text_cfg as released."""
    from mmseg_ht.models.backbones.towers import resolve_model_config
    config = copy.deepcopy(resolve_model_config(name))
    image_arch = IMAGE_ARCHS[name][0]
    config.update(
        embed_dim=image_arch['embed_dim'], vision_cfg=copy.deepcopy(image_arch['vision_cfg']))
    return config


def write_tiny_bert_folder(folder: Path, weights: bool = False) -> Path:
    """config.json + vocab.txt + tokenizer files of a random BERT (and model.safetensors)."""
    from transformers import BertConfig, BertForMaskedLM, BertTokenizerFast
    folder.mkdir(parents=True, exist_ok=True)
    (folder / 'vocab.txt').write_text('\n'.join(VOCAB) + '\n', encoding='utf-8')
    BertConfig(
        vocab_size=len(VOCAB),
        hidden_size=BERT_WIDTH,
        num_hidden_layers=BERT_LAYERS,
        num_attention_heads=2,
        intermediate_size=BERT_INTERMEDIATE,
        max_position_embeddings=BERT_POSITIONS).save_pretrained(folder)
    BertTokenizerFast(str(folder / 'vocab.txt'), do_lower_case=True).save_pretrained(folder)
    if weights:  # the layout of BiomedBERT's own files: bert.* + the MLM head cls.*
        import torch
        torch.manual_seed(3)
        config = BertConfig.from_pretrained(str(folder), local_files_only=True)
        BertForMaskedLM(config).save_pretrained(folder, safe_serialization=True)
    return folder


def released_unimedclip_text_keys(vocab, width, layers, intermediate, positions, embed):
    """UniMedCLIP's ``text_encoder.*`` names and shapes, written from its public model code.

    ``HFTextEncoder(BiomedBERT, proj_type='mlp', pooler_type='cls_last_hidden_state_pooler')``:
    a BertModel without pooler and Linear(width→(width+embed)//2) → GELU → Linear(→embed),
    both bias-free; older transformers also saved ``embeddings.position_ids``.
    """
    hidden = (width + embed) // 2
    bert = 'text_encoder.transformer.'
    keys = {
        bert + 'embeddings.word_embeddings.weight': (vocab, width),
        bert + 'embeddings.position_embeddings.weight': (positions, width),
        bert + 'embeddings.token_type_embeddings.weight': (2, width),
        bert + 'embeddings.LayerNorm.weight': (width, ),
        bert + 'embeddings.LayerNorm.bias': (width, ),
        bert + 'embeddings.position_ids': (1, positions),
        'text_encoder.proj.0.weight': (hidden, width),
        'text_encoder.proj.2.weight': (embed, hidden)
    }
    for i in range(layers):
        layer = f'{bert}encoder.layer.{i}.'
        for name in ('attention.self.query', 'attention.self.key', 'attention.self.value',
                     'attention.output.dense'):
            keys[layer + name + '.weight'] = (width, width)
            keys[layer + name + '.bias'] = (width, )
        keys[layer + 'intermediate.dense.weight'] = (intermediate, width)
        keys[layer + 'intermediate.dense.bias'] = (intermediate, )
        keys[layer + 'output.dense.weight'] = (width, intermediate)
        keys[layer + 'output.dense.bias'] = (width, )
        for norm in ('attention.output.LayerNorm', 'output.LayerNorm'):
            keys[f'{layer}{norm}.weight'] = (width, )
            keys[f'{layer}{norm}.bias'] = (width, )
    return keys


def _synthetic_tensor(key: str, shape: tuple, generator):
    """Random values scaled so that different texts give clearly different CLS outputs."""
    import torch
    if key.endswith('position_ids'):
        return torch.arange(shape[-1])[None]
    noise = torch.randn(shape, generator=generator)
    if 'LayerNorm.weight' in key:
        return 1 + 0.1 * noise
    if key.endswith('bias') or 'position_embeddings' in key or 'token_type' in key:
        return 0.05 * noise
    if 'word_embeddings' in key:
        return noise
    return noise * 2 / shape[-1]**0.5  # linear layers: a sharper attention than BERT's init


def synthetic_release(prefix: str = 'text_encoder.', seed: int = 0) -> dict:
    """Random text weights under the released key names (tiny width), ``prefix`` in front."""
    import torch
    generator = torch.Generator().manual_seed(seed)
    shapes = released_unimedclip_text_keys(
        len(VOCAB), BERT_WIDTH, BERT_LAYERS, BERT_INTERMEDIATE, BERT_POSITIONS, EMBED)
    return {
        prefix + key[len('text_encoder.'):]: _synthetic_tensor(key, shape, generator)
        for key, shape in shapes.items()
    }


def write_release(path: Path, name: str, seed: int = 0) -> Path:
    """A full tiny checkpoint in the layout ``name`` is released in (text + image + logit_scale).

    BiomedCLIP: open_clip's CustomTextCLIP state dict (``text.*``, ``visual.trunk.*``);
    UniMedCLIP: its training checkpoint (``state_dict`` of ``module.visual.*`` and
    ``module.text_encoder.*``, beside ``epoch`` and ``name``).
    """
    import math

    import torch

    from mmseg_ht.models.backbones.towers import build_image_tower
    torch.manual_seed(seed)
    prefix = 'text.' if name == BIOMEDCLIP else 'text_encoder.'
    state = synthetic_release(prefix, seed)
    image = build_image_tower(IMAGE_ARCHS[name][0]).state_dict()
    state.update({f'visual.{k}': v for k, v in image.items()})
    state['logit_scale'] = torch.tensor(math.log(1 / 0.07))
    if name == UNIMEDCLIP:
        state = {
            'epoch': 10,
            'name': 'unimedclip',
            'state_dict': {
                f'module.{k}': v
                for k, v in state.items()
            }
        }
    torch.save(state, path)
    return path


@pytest.fixture(scope='session')
def tiny_bert_dir(tmp_path_factory) -> Path:
    """A tiny BiomedBERT-like folder (config + tokenizer, no weights)."""
    return write_tiny_bert_folder(tmp_path_factory.mktemp('hf') / 'tiny-biomedbert')


def _is_loopback(host) -> bool:
    return str(host) in ('localhost', '127.0.0.1', '::1', '') or str(host).startswith('127.')


@pytest.fixture
def no_network(monkeypatch):
    """Fail on any connection beyond this machine and on any hub download call."""

    def refuse(*args, **kwargs):
        raise AssertionError(f'network access attempted: {args[:2]}')

    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect

    def getaddrinfo(host, *args, **kwargs):
        return real_getaddrinfo(host, *args, **kwargs) if _is_loopback(host) else refuse(host)

    def connect(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        return real_connect(sock, address) if _is_loopback(host) or \
            sock.family == socket.AF_UNIX else refuse(address)

    monkeypatch.setattr(socket, 'getaddrinfo', getaddrinfo)
    monkeypatch.setattr(socket.socket, 'connect', connect)
    import huggingface_hub
    import huggingface_hub.file_download
    import transformers.utils.hub
    for module in (huggingface_hub, huggingface_hub.file_download, transformers.utils.hub):
        for name in ('hf_hub_download', 'snapshot_download'):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, refuse)
    yield
