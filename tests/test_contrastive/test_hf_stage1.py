"""Stage 1 with BiomedCLIP/UniMedCLIP towers (BERT text tower from a local folder), offline.

Tiny towers, one released-layout weights file for both towers, LoRA V+T:
InfoNCE steps that lower the loss, the adapter files round trip, the export
tool on a V+T checkpoint of the real configs, and its error without a folder.
"""
import importlib.util
import math
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.optim import OptimWrapper
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmseg_ht.contrastive  # noqa: F401  (registrations)
from mmseg_ht.datasets.phantom import generate_phantom_sample
from mmseg_ht.models.adapters import export_adapters, text_adapter_path
from mmseg_ht.models.hf_text_tower import TextModelFolderError
from tests.tiny_bert import IMAGE_ARCHS  # noqa: F401
from tests.tiny_bert import (BERT_LAYERS, BERT_WIDTH, BIOMEDCLIP, UNIMEDCLIP, tiny_medical_arch,
                             write_release)

from tests.tiny_bert import no_network, tiny_bert_dir  # noqa: F401 isort:skip  (fixtures)

pytestmark = pytest.mark.usefixtures('one_torch_thread', 'no_network')
REPO = Path(__file__).resolve().parents[2]
ARCHS = (BIOMEDCLIP, UNIMEDCLIP)
RANK = 4
LORA = dict(type='LoRAAdapter', rank=RANK, alpha=8, blocks='all')
CAPTIONS = {
    'benign': 'oval circumscribed hypoechoic mass, posterior enhancement',
    'malignant': 'irregular spiculated mass with posterior shadowing'
}


@pytest.fixture(scope='module')
def releases(tmp_path_factory):
    folder = tmp_path_factory.mktemp('releases')
    return {name: write_release(folder / f'{i}.pt', name) for i, name in enumerate(ARCHS)}


def build(name, folder, weights, **kwargs):
    return MODELS.build(
        dict(
            type='ContrastiveCLIP',
            backbone=dict(
                type='CLIPViT',
                arch=IMAGE_ARCHS[name][0],
                pretrained=str(weights),
                out_indices=(1, 2, 3),
                adapter=LORA,
                adapter_checkpoint=kwargs.pop('adapter_checkpoint', None)),
            text_encoder=dict(
                type='OpenCLIPTextEncoder',
                arch=tiny_medical_arch(name),
                text_model_dir=str(folder),
                adapter=LORA),
            **kwargs))


def phantom_batch(name, count=6):
    """Phantom ultrasound images (0-255, 3 channels), each with its own caption."""
    size = IMAGE_ARCHS[name][1]
    rng = np.random.default_rng(0)
    images, samples = [], []
    for i in range(count):
        label = ('benign', 'malignant')[i % 2]
        image = generate_phantom_sample(rng, label, size=size).image
        images.append(torch.from_numpy(np.repeat(image[None], 3, axis=0)).contiguous())
        sample = DataSample()
        sample.set_field(f'{CAPTIONS[label]}, lesion {i + 1} at {2 + i} cm', 'text')
        sample.set_field(i, 'image_id')
        sample.set_field(i, 'text_id')
        samples.append(sample)
    return dict(inputs=images, data_samples=samples)


def eval_loss(model, batch):
    model.eval()
    with torch.no_grad():
        return model(**model.data_preprocessor(batch, False), mode='loss')['loss_infonce'].item()


@pytest.mark.parametrize('name', ARCHS)
def test_infonce_steps_train_both_towers_lora(name, tiny_bert_dir, releases):
    torch.manual_seed(0)
    model = build(name, tiny_bert_dir, releases[name])
    assert model.text_encoder.pretrained_logit_scale is not None  # text weights: the same file
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    text = {n: p for n, p in trainable.items() if n.startswith('text_encoder.')}
    assert all('.lora_' in n for n in trainable)
    assert all('.attention.self.' in n for n in text)
    assert sum(p.numel() for p in text.values()) == BERT_LAYERS * 3 * RANK * 2 * BERT_WIDTH
    before = {n: p.detach().clone() for n, p in trainable.items()}
    batch = phantom_batch(name)
    start = eval_loss(model, batch)
    wrapper = OptimWrapper(torch.optim.AdamW(list(trainable.values()), lr=3e-3))
    model.train()
    losses = [model.train_step(batch, wrapper)['loss'].item() for _ in range(15)]
    end = eval_loss(model, batch)
    print(f'{name}: InfoNCE {start:.4f} -> {end:.4f} after 15 steps; '
          f'{[round(x, 3) for x in losses]}')
    assert end < min(start, math.log(6)) - 0.5  # well below uniform (log 6)
    moved = {n for n, p in trainable.items() if not torch.equal(p, before[n])}
    assert any(n.startswith('text_encoder.') for n in moved)
    assert any(n.startswith('backbone.') for n in moved)


@pytest.mark.parametrize('name', ARCHS)
def test_vt_adapter_files_round_trip(name, tiny_bert_dir, releases, tmp_path):
    torch.manual_seed(0)
    model = build(name, tiny_bert_dir, releases[name])
    with torch.no_grad():
        for param_name, param in model.named_parameters():
            if param.requires_grad:
                param.add_(torch.randn_like(param) * 0.05)
    files = export_adapters(model.backbone, tmp_path / 'vt.safetensors', model.text_encoder)
    assert files == [tmp_path / 'vt.safetensors', text_adapter_path(tmp_path / 'vt.safetensors')]
    loaded = build(
        name,
        tiny_bert_dir,
        releases[name],
        adapter_checkpoint=str(files[0]),
        text_adapter_checkpoint=str(files[1]))
    fresh = build(name, tiny_bert_dir, releases[name])
    batch = phantom_batch(name, count=2)
    outputs = [
        m.eval()(**m.data_preprocessor(batch, False), mode='tensor') for m in (model, loaded, fresh)
    ]
    for key in ('image_embeds', 'text_embeds'):
        assert torch.equal(outputs[0][key], outputs[1][key])
        assert not torch.allclose(outputs[0][key], outputs[2][key])


def _export_tool():
    spec = importlib.util.spec_from_file_location('export_adapters',
                                                  REPO / 'tools' / 'export_adapters.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tiny_config(tmp_path, name):
    """The real LoRA V+T stage-1 config with tiny towers and rank 4 (a child config file)."""
    stem = 'biomedclip' if name == BIOMEDCLIP else 'unimedclip'
    path = tmp_path / f'tiny_{stem}-lora-vt.py'
    lora = "dict(rank=4, alpha=8)"
    image_arch, text_arch = (
        dict(arch, _delete_=True) for arch in (IMAGE_ARCHS[name][0], tiny_medical_arch(name)))
    path.write_text(f"_base_ = ['{REPO}/configs/finetune/{stem}-lora-vt_captions.py']\n"
                    f"model = dict(backbone=dict(arch={image_arch!r}, adapter={lora},\n"
                    f"                           out_indices=(1, 2, 3)),\n"
                    f"             text_encoder=dict(arch={text_arch!r}, adapter={lora}))\n")
    return path


@pytest.mark.parametrize('name', ARCHS)
def test_export_tool_on_a_vt_checkpoint(name, tiny_bert_dir, releases, tmp_path, monkeypatch,
                                        capsys):
    model = build(name, tiny_bert_dir, releases[name])
    checkpoint = tmp_path / 'iter_1.pth'
    torch.save(dict(meta=dict(iter=1), state_dict=model.state_dict()), checkpoint)
    config, out = tiny_config(tmp_path, name), tmp_path / 'export' / 'vt.safetensors'
    monkeypatch.setattr(sys, 'argv', ['tools/export_adapters.py'])
    # a TextModelFolderError (an MmsegHtError): one line on stderr and exit code 2
    assert _export_tool().main([
        str(config),
        str(checkpoint),
        str(out), '--text-model-dir',
        str(tmp_path / 'no-bert-here')
    ]) == 2
    assert re.search(r'^export_adapters\.py: error: .*config\.json.*vocab\.txt',
                     capsys.readouterr().err, re.M)
    assert _export_tool().main(
        [str(config),
         str(checkpoint),
         str(out), '--text-model-dir',
         str(tiny_bert_dir)]) == 0
    from safetensors.torch import load_file
    image, text = load_file(str(out)), load_file(str(text_adapter_path(out)))
    assert set(image) == set(model.backbone.adapter_state_dict())
    assert all(torch.equal(text[k], v) for k, v in model.text_encoder.adapter_state_dict().items())


@pytest.mark.parametrize('name,downstream', [(BIOMEDCLIP, 'ht/biomedclip-lora_busi.py'),
                                             (UNIMEDCLIP, 'cls/unimedclip-lora_busi.py')])
def test_vt_image_adapters_load_into_downstream_configs(name, downstream, tiny_bert_dir, releases,
                                                        tmp_path):
    """The image half of a V+T stage-1 export is what the LoRA segmentation/classification
    configs load with ``model.backbone.adapter_checkpoint``."""
    from mmengine.config import Config
    from mmseg.registry import MODELS as SEG_MODELS
    model = build(name, tiny_bert_dir, releases[name])
    with torch.no_grad():
        for param in model.backbone.parameters():
            if param.requires_grad:
                param.add_(torch.randn_like(param) * 0.05)
    image_file = export_adapters(model.backbone, tmp_path / 'vt.safetensors', model.text_encoder)[0]
    backbone = Config.fromfile(str(REPO / 'configs' / downstream)).model.backbone
    assert backbone.adapter.type == 'LoRAAdapter'
    backbone.update(
        arch=IMAGE_ARCHS[name][0],
        pretrained=str(releases[name]),
        out_indices=(1, 2, 3),
        adapter=dict(backbone.adapter, rank=RANK, alpha=8),
        adapter_checkpoint=str(image_file),
        _scope_='mmseg')
    loaded = SEG_MODELS.build(backbone)
    exported = model.backbone.adapter_state_dict()
    assert set(loaded.adapter_state_dict()) == set(exported)
    assert all(torch.equal(v, exported[k]) for k, v in loaded.adapter_state_dict().items())


@pytest.mark.parametrize('stem', ['biomedclip-lora-vt', 'unimedclip-ht'])
def test_stage1_config_without_a_folder_names_the_files(stem, monkeypatch):
    """What tools/train.py meets when no BiomedBERT folder is given (the default is absent)."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    monkeypatch.delenv('BIOMEDBERT_DIR', raising=False)
    cfg = Config.fromfile(str(REPO / 'configs' / 'finetune' / f'{stem}_captions.py'))
    name = cfg.model.text_encoder.arch
    cfg.model.backbone.update(arch=IMAGE_ARCHS[name][0], out_indices=(1, 2, 3))
    cfg.model.text_encoder.arch = tiny_medical_arch(name)
    with DefaultScope.overwrite_default_scope('mmpretrain'), pytest.raises(
            TextModelFolderError,
            match=r'not found: .*data/weights/BiomedNLP-BiomedBERT-base-'
            r'uncased-abstract.*config\.json.*vocab\.txt'):
        MODELS.build(cfg.model)
