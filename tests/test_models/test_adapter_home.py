"""The adapters' one home (``mmseg_ht.models.adapters``): the adapter predicate, accounting, files.

The predicate ``is_adapter_parameter`` must pick exactly what adapters added: checked
against what trains when every block runs (towers are frozen before adapters are
attached), for HT and its ablations, Mona and LoRA on both image-tower families and
LoRA on both text-tower families, and against the README's ViT-B/16 counts.
"""
import json

import pytest
import torch
from mmseg.registry import MODELS

import mmseg_ht  # noqa: F401  (registrations)
from mmseg_ht.models.adapters import (export_adapters, export_metadata, is_adapter_parameter,
                                      parameter_rows, split_checkpoint_adapters, text_adapter_path)
from tests.tiny_bert import BIOMEDCLIP, VOCAB, tiny_bert_dir, tiny_medical_arch  # noqa: F401
from tests.tiny_towers import TINY_ARCHS

TINY = 'mmseg_ht-tiny-vit16'  # registered arch with a text tower (10 blocks, width 64)
IMAGE_ADAPTERS = {
    'ht': dict(type='HTAdapter', bottleneck=8),
    'ht-channel': dict(type='HTAdapter', bottleneck=8, frequency_filter='channel'),
    'ht-ne': dict(type='HTAdapter', bottleneck=8, frequency_filter=None),
    'ht-ff': dict(type='HTAdapter', bottleneck=8, noise_estimation=False),
    'mona': dict(type='MonaAdapter', bottleneck=8),
    'lora': dict(type='LoRAAdapter', rank=4, alpha=8),
    'lora-qkvo': dict(type='LoRAAdapter', rank=4, alpha=8, targets=('q', 'k', 'v', 'o')),
    'ht-some-blocks': dict(type='HTAdapter', bottleneck=8, blocks=(0, 2)),
}
LORA = dict(type='LoRAAdapter', rank=4, alpha=8)


def image_tower(family, adapter, **kwargs):
    cfg = dict(type='CLIPViT', arch=TINY_ARCHS[family][0], adapter=adapter, out_indices=(1, 2, 3))
    return MODELS.build(dict(cfg, **kwargs))


def trainable(module):
    return {name for name, param in module.named_parameters() if param.requires_grad}


def adapter_names(module):
    return {name for name, _ in module.named_parameters() if is_adapter_parameter(name)}


@pytest.mark.parametrize('family', ['openclip', 'timm'])
@pytest.mark.parametrize('adapter', list(IMAGE_ADAPTERS), ids=str)
def test_predicate_picks_exactly_the_adapter_parameters_of_image_towers(family, adapter):
    tower = image_tower(family, IMAGE_ADAPTERS[adapter], out_pooled=True)  # every block runs
    names = adapter_names(tower)
    assert names and names == trainable(tower) == set(tower.adapter_state_dict())
    plain = image_tower(family, None)
    assert not adapter_names(plain) and not trainable(plain)
    # the same parameters under every anchor: block-relative, tower-relative, model-relative
    block_names = {
        f'{i}.{n}'
        for i, block in enumerate(tower.tower_blocks())
        for n, _ in block.named_parameters() if is_adapter_parameter(n)
    }
    output = {n for n in names if n.startswith('adapters.')}
    assert len(block_names) + len(output) == len(names)
    model_keys = {f'backbone.{k}' for k in tower.state_dict()}
    assert {k for k in model_keys if is_adapter_parameter(k)} == {f'backbone.{n}' for n in names}


def test_adapters_after_the_last_output_block_are_adapter_parameters_but_frozen():
    tower = image_tower('openclip', IMAGE_ADAPTERS['ht'], out_indices=(1, ))  # blocks 0-1 run
    names = adapter_names(tower)
    assert trainable(tower) < names
    assert {n.split('.')[1] for n in names - trainable(tower)} == {'2', '3'}
    rows = parameter_rows(tower)
    per_block = sum(p.numel() for n, p in tower.named_parameters() if n.startswith('adapters.0.'))
    assert [r['module'] for r in rows[1:]] == [
        f'adapters @ blocks 0-1 (2 x {per_block:,})', f'adapters @ blocks 2-3 (2 x {per_block:,})'
    ]
    assert [(r['trainable'], r['frozen']) for r in rows[1:]] == [(2 * per_block, 0),
                                                                 (0, 2 * per_block)]
    assert rows[0]['frozen'] == sum(p.numel() for p in tower.tower.parameters())


@pytest.mark.parametrize('text_arch', ['openclip', 'bert'])
def test_predicate_picks_exactly_the_lora_factors_of_text_towers(text_arch, tiny_bert_dir):
    kwargs = (
        dict(arch=TINY) if text_arch == 'openclip' else dict(
            arch=tiny_medical_arch(BIOMEDCLIP), text_model_dir=str(tiny_bert_dir)))
    text = MODELS.build(dict(type='OpenCLIPTextEncoder', adapter=LORA, **kwargs))
    names = adapter_names(text)
    assert names and names == trainable(text) == set(text.adapter_state_dict())
    assert all(n.rsplit('.', 1)[-1] in ('lora_down', 'lora_up') for n in names)
    rows = parameter_rows(text)
    assert sum(r['trainable'] for r in rows[1:]) == sum(p.numel()
                                                        for p in text.adapter_state_dict().values())
    with pytest.raises(ValueError, match='only in-block adapters'):
        MODELS.build(dict(type='OpenCLIPTextEncoder', adapter=IMAGE_ADAPTERS['ht'], **kwargs))


# ----------------------------------------------------------- the README's ViT-B/16 numbers
def _count(module):
    return sum(p.numel() for p in module.adapter_state_dict().values())


@pytest.mark.parametrize(
    'adapter, expected', [
        (dict(type='HTAdapter'), 1_441_572),
        (dict(type='LoRAAdapter', rank=16, alpha=32), 884_736),
    ],
    ids=['ht', 'lora'])
def test_readme_counts_on_the_timm_vit_b16_tower(adapter, expected):
    """BiomedCLIP's image tower (timm): the same counts as open_clip's (test_clip_vit.py)."""
    tower = MODELS.build(dict(type='CLIPViT', arch=BIOMEDCLIP, adapter=adapter, out_pooled=True))
    assert _count(tower) == expected == sum(r['trainable'] for r in parameter_rows(tower)[1:])
    assert parameter_rows(tower)[0]['frozen'] + expected == sum(p.numel()
                                                                for p in tower.parameters())


def test_readme_count_of_clip_text_lora():
    text = MODELS.build(
        dict(
            type='OpenCLIPTextEncoder',
            arch='ViT-B-16-quickgelu',
            adapter=dict(type='LoRAAdapter', rank=16, alpha=32)))
    assert _count(text) == 589_824 == 12 * 3 * 16 * (512 + 512)


def test_readme_count_of_biomedbert_text_lora(tmp_path):
    from transformers import BertConfig
    folder = tmp_path / 'biomedbert-sized'
    folder.mkdir()
    (folder / 'vocab.txt').write_text('\n'.join(VOCAB) + '\n', encoding='utf-8')
    BertConfig(
        vocab_size=len(VOCAB),
        hidden_size=768,
        num_hidden_layers=12,
        num_attention_heads=12,
        intermediate_size=3072,
        max_position_embeddings=256).save_pretrained(folder)
    text = MODELS.build(
        dict(
            type='OpenCLIPTextEncoder',
            arch=BIOMEDCLIP,
            text_model_dir=str(folder),
            adapter=dict(type='LoRAAdapter', rank=16, alpha=32)))
    assert _count(text) == 884_736 == 12 * 3 * 16 * (768 + 768)


# ----------------------------------------------------------------- export / import
def _randomise(module, seed):
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in module.adapter_state_dict().values():
            param.add_(0.1 * torch.randn(param.shape, generator=generator))


def _towers(image_adapter):
    image = MODELS.build(dict(type='CLIPViT', arch=TINY, adapter=image_adapter, out_pooled=True))
    text = MODELS.build(dict(type='OpenCLIPTextEncoder', arch=TINY, adapter=LORA))
    return image.eval(), text.eval()


@pytest.mark.parametrize('image_adapter', [IMAGE_ADAPTERS['ht'], LORA], ids=['ht', 'lora'])
def test_export_import_round_trip_of_both_towers(image_adapter, tmp_path):
    image, text = _towers(image_adapter)
    _randomise(image, 0), _randomise(text, 1)
    metadata = export_metadata(
        dict(arch=TINY, adapter=image_adapter), dict(adapter=LORA), 'unit-test', iteration=3)
    path = tmp_path / 'out' / 'adapters.safetensors'
    files = export_adapters(image, path, text, metadata)
    assert files == [path, text_adapter_path(path)
                     ] == [path, tmp_path / 'out' / 'adapters_text.safetensors']
    from safetensors import safe_open
    for file, tower, kind in ((files[0], image, 'image'), (files[1], text, 'text')):
        with safe_open(str(file), 'pt') as handle:
            meta = handle.metadata()
            assert set(handle.keys()) == set(tower.adapter_state_dict())
        assert meta['tower'] == kind and meta['arch'] == TINY and meta['iteration'] == '3'
        assert meta['format'] == ('mmseg_ht-adapters'
                                  if kind == 'image' else 'mmseg_ht-text-adapters')
        assert json.loads(meta['adapter']) == image_adapter
        assert json.loads(meta['text_adapter']) == LORA

    fresh_image, fresh_text = _towers(image_adapter)
    for fresh, trained in ((fresh_image, image), (fresh_text, text)):  # same frozen weights
        fresh.tower.load_state_dict(
            {
                k: v
                for k, v in trained.tower.state_dict().items() if not is_adapter_parameter(k)
            },
            strict=False)
    images = torch.rand(2, 3, 224, 224) * 255
    with torch.no_grad():
        assert not torch.allclose(fresh_image(images)[-1], image(images)[-1])
        assert sorted(fresh_image.load_adapters(files[0])) == sorted(image.adapter_state_dict())
        fresh_text.load_adapters(files[1])
        assert all(torch.equal(a, b) for a, b in zip(fresh_image(images), image(images)))
        prompts = ['an oval hypoechoic mass', 'irregular margin']
        assert torch.equal(fresh_text(prompts), text(prompts))


def test_checkpoint_split_and_prefixed_files_load_and_mismatches_are_named(tmp_path):
    image, text = _towers(IMAGE_ADAPTERS['ht'])
    _randomise(image, 2), _randomise(text, 3)
    state = {f'backbone.{k}': v for k, v in image.state_dict().items()}
    state.update({f'text_encoder.{k}': v for k, v in text.state_dict().items()})
    state['decode_head.conv_seg.weight'] = torch.zeros(2, 8, 1, 1)
    towers = split_checkpoint_adapters(state)
    for part, tower in (('image', image), ('text', text)):
        expected = tower.adapter_state_dict()
        assert set(towers[part]) == set(expected)
        assert all(torch.equal(towers[part][k], v) for k, v in expected.items())
    torch.save({'state_dict': state}, tmp_path / 'iter_5.pth')  # a whole-model checkpoint
    for fresh, trained in zip(_towers(IMAGE_ADAPTERS['ht']), (image, text)):  # each its part
        assert sorted(fresh.load_adapters(tmp_path / 'iter_5.pth')) == sorted(
            trained.adapter_state_dict())
        assert all(
            torch.equal(v,
                        trained.adapter_state_dict()[k])
            for k, v in fresh.adapter_state_dict().items())
    wrong, _ = _towers(dict(IMAGE_ADAPTERS['ht'], bottleneck=16))
    with pytest.raises(
            ValueError,
            match=r'iter_5\.pth: adapter weights do not fit this CLIPViT'
            r'.*shape mismatches'):
        wrong.load_adapters(tmp_path / 'iter_5.pth')
    with pytest.raises(ValueError, match='no adapter parameters'):
        MODELS.build(dict(type='CLIPViT', arch=TINY)).save_adapters(tmp_path / 'none.safetensors')
