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
WORDS = ['mass', 'oval', 'round', 'irregular', 'margin', 'benign', 'malignant', 'lesion',
         'node', 'lymph', 'thyroid', 'breast', 'ultrasound', 'hypoechoic', 'shadowing']
VOCAB = (SPECIAL + WORDS + list(string.ascii_lowercase) + [f'##{c}' for c in string.ascii_lowercase]
         + list(string.digits) + list(string.punctuation))
BIOMEDCLIP = 'BiomedCLIP-PubMedBERT_256-vit_base_patch16_224'
UNIMEDCLIP = 'UniMedCLIP-ViT-B-16-quickgelu'
IMAGE_ARCHS = {BIOMEDCLIP: (TINY_TIMM_ARCH, 160), UNIMEDCLIP: (TINY_OPENCLIP_ARCH, 32)}


def tiny_medical_arch(name: str) -> dict:
    """The bundled config ``name`` with a tiny image tower (embed_dim 32); text_cfg as released."""
    from mmseg_ht.models.backbones.towers import resolve_model_config
    config = copy.deepcopy(resolve_model_config(name))
    image_arch = IMAGE_ARCHS[name][0]
    config.update(embed_dim=image_arch['embed_dim'],
                  vision_cfg=copy.deepcopy(image_arch['vision_cfg']))
    return config


def write_tiny_bert_folder(folder: Path, weights: bool = False) -> Path:
    """config.json + vocab.txt + tokenizer files of a random BERT (and model.safetensors)."""
    from transformers import BertConfig, BertForMaskedLM, BertTokenizerFast
    folder.mkdir(parents=True, exist_ok=True)
    (folder / 'vocab.txt').write_text('\n'.join(VOCAB) + '\n', encoding='utf-8')
    BertConfig(vocab_size=len(VOCAB), hidden_size=BERT_WIDTH, num_hidden_layers=BERT_LAYERS,
               num_attention_heads=2, intermediate_size=BERT_INTERMEDIATE,
               max_position_embeddings=BERT_POSITIONS).save_pretrained(folder)
    BertTokenizerFast(str(folder / 'vocab.txt'), do_lower_case=True).save_pretrained(folder)
    if weights:  # the layout of BiomedBERT's own files: bert.* + the MLM head cls.*
        import torch
        torch.manual_seed(3)
        config = BertConfig.from_pretrained(str(folder), local_files_only=True)
        BertForMaskedLM(config).save_pretrained(folder, safe_serialization=True)
    return folder


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
