"""BiomedCLIP/UniMedCLIP text towers from a local folder: build, tokenize, forward, released keys.

A tiny random BERT folder (tests/tiny_bert.py) stands in for BiomedBERT; the
archs are the bundled configs with their released text settings. Every test
that builds a tower runs under ``no_network`` (no connection, no hub call).
"""
import math
import os
import sys

import pytest
import torch
import torch.nn.functional as F

from mmseg_ht.models import hf_text_tower as hf
from mmseg_ht.models.backbones import CLIPViT
from mmseg_ht.models.backbones.pretrained import PretrainedMismatchError
from mmseg_ht.models.backbones.towers import build_image_tower
from mmseg_ht.models.text_encoder import OpenCLIPTextEncoder
from tests.tiny_bert import BERT_WIDTH  # noqa: F401
from tests.tiny_bert import (BERT_LAYERS, BERT_POSITIONS, BIOMEDCLIP, EMBED, IMAGE_ARCHS,
                             UNIMEDCLIP, VOCAB, synthetic_release, tiny_medical_arch,
                             write_tiny_bert_folder)

from tests.tiny_bert import no_network, tiny_bert_dir  # noqa: F401 isort:skip  (fixtures)

pytestmark = pytest.mark.usefixtures('one_torch_thread', 'no_network')
ARCHS = (BIOMEDCLIP, UNIMEDCLIP)
TEXTS = [
    'an oval circumscribed benign mass', 'irregular spiculated malignant lesion with shadowing'
]


def encoder(name, folder, **kwargs):
    return OpenCLIPTextEncoder(arch=tiny_medical_arch(name), text_model_dir=str(folder), **kwargs)


def reference_embeddings(state, prefix, folder, texts, tokenizer):
    """The released forward computed directly with transformers' BertModel and the raw tensors."""
    from transformers import BertConfig, BertModel
    bert = BertModel(BertConfig.from_pretrained(str(folder)), add_pooling_layer=False).eval()
    body = {
        k[len(prefix + 'transformer.'):]: v
        for k, v in state.items()
        if k.startswith(prefix + 'transformer.') and not k.endswith('position_ids')
    }
    bert.load_state_dict(body, strict=True)
    ids = tokenizer(texts)
    with torch.no_grad():
        cls = bert(input_ids=ids, attention_mask=(ids != 0).long()).last_hidden_state[:, 0]
        hidden = F.gelu(cls @ state[prefix + 'proj.0.weight'].t())
        return hidden @ state[prefix + 'proj.2.weight'].t()


# ----------------------------------------------------------------- the folder
def test_no_folder_names_the_files_and_their_source(tmp_path):
    for folder in (None, '', tmp_path / 'absent'):
        with pytest.raises(hf.TextModelFolderError) as info:
            hf.check_text_model_folder(folder)
        message = str(info.value)
        for needed in ('config.json', 'vocab.txt', hf.DEFAULT_HF_SOURCE, 'text_model_dir',
                       'BIOMEDBERT_DIR', 'open_clip_pytorch_model.bin'):
            assert needed in message
    with pytest.raises(hf.TextModelFolderError, match='no local text model folder given'):
        OpenCLIPTextEncoder(arch=BIOMEDCLIP)


def test_incomplete_or_broken_folders(tmp_path):
    folder = write_tiny_bert_folder(tmp_path / 'bert')
    for name in ('vocab.txt', 'tokenizer.json'):
        (folder / name).rename(folder / (name + '.moved'))
    with pytest.raises(hf.TextModelFolderError, match=r'lacks vocab\.txt or tokenizer\.json'):
        hf.check_text_model_folder(folder)
    (folder / 'vocab.txt.moved').rename(folder / 'vocab.txt')
    (folder / 'config.json').write_text('{"hidden_size": 32}')
    with pytest.raises(hf.TextModelFolderError, match='no "model_type"'):
        hf.check_text_model_folder(folder)
    (folder / 'config.json').write_text('{not json')
    with pytest.raises(hf.TextModelFolderError, match='not a readable JSON'):
        hf.check_text_model_folder(folder)


def test_offline_switches_are_set(tiny_bert_dir):
    encoder(BIOMEDCLIP, tiny_bert_dir)
    assert os.environ['HF_HUB_OFFLINE'] == '1' and os.environ['TRANSFORMERS_OFFLINE'] == '1'
    import huggingface_hub.constants
    assert huggingface_hub.constants.HF_HUB_OFFLINE
    # the guard these tests run under is live: any outside connection fails
    import socket
    with pytest.raises(AssertionError, match='network access attempted'):
        socket.create_connection(('huggingface.co', 443), timeout=1)
    # and it catches the hub call a hub id (open_clip's way) would make; a local folder
    # (mmseg_ht's way) never reaches it: every tower in this file is built under it
    from transformers import AutoTokenizer
    with pytest.raises(AssertionError, match='network access attempted'):
        AutoTokenizer.from_pretrained(hf.DEFAULT_HF_SOURCE)


def test_missing_transformers_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, 'transformers', None)  # `import transformers` fails
    with pytest.raises(ImportError, match=r'pip install -e "\.\[medical\]"'):
        hf.import_transformers()


def test_context_longer_than_the_bert_positions(tiny_bert_dir):
    arch = tiny_medical_arch(BIOMEDCLIP)
    arch['text_cfg']['context_length'] = BERT_POSITIONS + 1
    with pytest.raises(ValueError, match=f'max_position_embeddings={BERT_POSITIONS}'):
        OpenCLIPTextEncoder(arch=arch, text_model_dir=str(tiny_bert_dir))


def test_openai_tower_refuses_a_folder(tiny_bert_dir):
    with pytest.raises(ValueError, match='only for Hugging Face text towers'):
        OpenCLIPTextEncoder(arch='mmseg_ht-tiny-vit16', text_model_dir=str(tiny_bert_dir))


# --------------------------------------------------------------- the towers
@pytest.mark.parametrize('name', ARCHS)
def test_build_tokenize_forward(name, tiny_bert_dir):
    torch.manual_seed(0)
    model = encoder(name, tiny_bert_dir).eval()
    assert hf.is_hf_text_tower(model.tower) and len(hf.text_blocks(model.tower)) == BERT_LAYERS
    ids = model.tokenize(TEXTS)
    assert ids.shape == (2, 256)  # the released context length
    assert ids[:, 0].tolist() == [VOCAB.index('[CLS]')] * 2
    assert VOCAB.index('benign') in ids[0].tolist()  # lower-cased WordPiece from vocab.txt
    with torch.no_grad():
        pair = model(TEXTS)
        alone = model(TEXTS[:1])
    assert pair.shape == (2, EMBED) and torch.isfinite(pair).all()
    # padding is masked: an embedding does not depend on the other texts of the batch
    torch.testing.assert_close(pair[:1], alone, rtol=1e-5, atol=1e-6)
    assert not torch.allclose(pair[0], pair[1])
    prompts = model.encode_prompts(TEXTS * 3, batch_size=4)
    assert prompts.shape == (6, EMBED)
    torch.testing.assert_close(prompts.norm(dim=-1), torch.ones(6))


def test_released_unimedclip_keys_map_exactly(tiny_bert_dir, tmp_path):
    image = build_image_tower(IMAGE_ARCHS[UNIMEDCLIP][0]).state_dict()
    state = synthetic_release('text_encoder.')
    state.update({f'visual.{k}': v for k, v in image.items()})
    state['logit_scale'] = torch.tensor(math.log(1 / 0.07))
    path = tmp_path / 'unimed_clip_vit_b16.pt'  # UniMedCLIP's save_checkpoint layout (DDP)
    torch.save(
        {
            'epoch': 10,
            'name': 'unimedclip',
            'state_dict': {
                f'module.{k}': v
                for k, v in state.items()
            }
        }, path)
    model = encoder(UNIMEDCLIP, tiny_bert_dir, pretrained=str(path)).eval()
    assert model.pretrained_logit_scale == pytest.approx(math.log(1 / 0.07))
    with torch.no_grad():
        ours = model(TEXTS)
    expected = reference_embeddings(state, 'text_encoder.', tiny_bert_dir, TEXTS, model.tokenizer)
    torch.testing.assert_close(ours, expected, rtol=1e-5, atol=1e-5)
    visual = CLIPViT(arch=IMAGE_ARCHS[UNIMEDCLIP][0], pretrained=str(path), out_indices=(1, 3))
    assert torch.equal(visual.tower.state_dict()['proj'], image['proj'])  # same file, image tower


def test_biomedclip_release_layout(tiny_bert_dir, tmp_path):
    state = synthetic_release('text.', seed=1)  # open_clip CustomTextCLIP: text.* + visual.trunk.*
    image = build_image_tower(IMAGE_ARCHS[BIOMEDCLIP][0]).state_dict()
    state.update({f'visual.{k}': v for k, v in image.items()}, logit_scale=torch.tensor(4.6052))
    path = tmp_path / 'open_clip_pytorch_model.bin'
    torch.save(state, path)
    model = encoder(BIOMEDCLIP, tiny_bert_dir, pretrained=str(path)).eval()
    with torch.no_grad():
        ours = model(TEXTS)
    expected = reference_embeddings(state, 'text.', tiny_bert_dir, TEXTS, model.tokenizer)
    torch.testing.assert_close(ours, expected, rtol=1e-5, atol=1e-5)
    CLIPViT(arch=IMAGE_ARCHS[BIOMEDCLIP][0], pretrained=str(path), out_indices=(1, 3, 5))


def test_release_errors_name_file_and_keys(tiny_bert_dir, tmp_path):
    state = synthetic_release()
    ids = 'text_encoder.transformer.embeddings.position_ids'
    state[ids] = torch.arange(BERT_POSITIONS)[None] + 1
    bad_ids = tmp_path / 'bad_ids.pt'
    torch.save(state, bad_ids)
    with pytest.raises(ValueError, match='position_ids is not 0, 1, 2'):
        encoder(UNIMEDCLIP, tiny_bert_dir, pretrained=str(bad_ids))
    state = synthetic_release()
    state['text_encoder.proj.2.weight'] = torch.zeros(EMBED + 1, (BERT_WIDTH + EMBED) // 2)
    del state['text_encoder.proj.0.weight']
    wrong = tmp_path / 'wrong.pt'
    torch.save(state, wrong)
    with pytest.raises(
            PretrainedMismatchError,
            match=r'wrong\.pt.*missing keys: proj\.0\.weight'
            r'.*shape mismatches.*proj\.2\.weight'):
        encoder(UNIMEDCLIP, tiny_bert_dir, pretrained=str(wrong))
    image_only = tmp_path / 'image_only.pt'
    torch.save({'visual.proj': torch.zeros(2, 2)}, image_only)
    with pytest.raises(PretrainedMismatchError, match='no text-tower weights'):
        encoder(UNIMEDCLIP, tiny_bert_dir, pretrained=str(image_only))


def test_bert_weights_from_the_folder(tmp_path):
    folder = write_tiny_bert_folder(tmp_path / 'bert-with-weights', weights=True)
    from safetensors.torch import load_file
    saved = load_file(str(folder / 'model.safetensors'))  # bert.* + cls.* (masked-LM head)
    model = encoder(BIOMEDCLIP, folder)
    loaded = model.tower.state_dict()
    word = 'bert.embeddings.word_embeddings.weight'
    assert torch.equal(loaded['transformer.embeddings.word_embeddings.weight'], saved[word])
    query = 'bert.encoder.layer.1.attention.self.query.weight'
    assert torch.equal(loaded['transformer.encoder.layer.1.attention.self.query.weight'],
                       saved[query])


# --------------------------------------------------------------- LoRA V+T
@pytest.mark.parametrize('name', ARCHS)
def test_lora_on_bert_query_key_value(name, tiny_bert_dir):
    rank = 4
    torch.manual_seed(0)
    frozen = encoder(name, tiny_bert_dir).eval()
    torch.manual_seed(0)  # the same random BERT: LoRA is attached after the tower is built
    lora = encoder(name, tiny_bert_dir, adapter=dict(type='LoRAAdapter', rank=rank, alpha=8))
    trainable = {n: p.numel() for n, p in lora.named_parameters() if p.requires_grad}
    assert all('.attention.self.' in n and '.lora_' in n for n in trainable)
    assert sum(trainable.values()) == BERT_LAYERS * 3 * rank * (BERT_WIDTH + BERT_WIDTH)
    lora.train()
    assert not lora.tower.training  # the frozen BERT stays in eval (no dropout)
    lora.eval()
    with torch.no_grad():
        torch.testing.assert_close(lora(TEXTS), frozen(TEXTS))  # LoRA starts at zero
        for param_name, param in lora.named_parameters():
            if param_name.endswith('lora_up'):
                param.add_(0.1)
        assert not torch.allclose(lora(TEXTS), frozen(TEXTS), atol=1e-4)
