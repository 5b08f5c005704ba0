"""ContrastiveCLIP on tiny towers: training signal, V+T LoRA, export/load round trips, configs."""
import csv
import importlib.util
from pathlib import Path

import cv2
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from mmseg.registry import MODELS as SEG_MODELS

import mmseg_ht.contrastive  # noqa: F401  (registrations)
from mmseg_ht.models.adapters import export_adapters, split_checkpoint_adapters, text_adapter_path
from tests.tiny_bert import IMAGE_ARCHS, tiny_bert_dir, tiny_medical_arch  # noqa: F401 (fixture)

REPO = Path(__file__).resolve().parents[2]
TINY = 'mmseg_ht-tiny-vit16'
HT = dict(type='HTAdapter', bottleneck=16, blocks='all')
LORA = dict(type='LoRAAdapter', rank=4, alpha=8, blocks='all')


def build(weights=None, adapter=HT, text_adapter=None, **kwargs):
    return MODELS.build(
        dict(
            type='ContrastiveCLIP',
            backbone=dict(
                type='CLIPViT',
                arch=TINY,
                pretrained=weights and str(weights),
                adapter=adapter,
                adapter_checkpoint=kwargs.pop('adapter_checkpoint', None)),
            text_encoder=dict(type='OpenCLIPTextEncoder', adapter=text_adapter),
            **kwargs))


def samples(texts, ids=None):
    out = []
    for i, text in enumerate(texts):
        sample = DataSample()
        sample.set_field(text, 'text')
        sample.set_field(i if ids is None else ids[i][0], 'image_id')
        sample.set_field(i if ids is None else ids[i][1], 'text_id')
        out.append(sample)
    return out


def busi_batch(busi_root, per_class=4):
    rows = list(csv.DictReader(open(busi_root / 'all_captions.csv', encoding='utf-8')))
    picked = [r for r in rows if r['label'] == 'benign'][:per_class] + \
        [r for r in rows if r['label'] == 'malignant'][:per_class]
    images = [
        torch.from_numpy(cv2.resize(cv2.imread(str(busi_root / r['image_path'])),
                                    (224, 224))).permute(2, 0, 1).contiguous() for r in picked
    ]
    texts = [r['text_caption'] for r in picked]
    text_ids = {t: i for i, t in enumerate(dict.fromkeys(texts))}
    return images, samples(texts, [(i, text_ids[t]) for i, t in enumerate(texts)])


def eval_loss(model, batch):
    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(batch, False)
        return model(**data, mode='loss')['loss_infonce'].item()


def test_loss_decreases_on_busi_pairs(busi_root, tiny_clip_weights):
    torch.manual_seed(0)
    model = build(tiny_clip_weights)
    images, data_samples = busi_batch(busi_root)
    batch = dict(inputs=images, data_samples=data_samples)
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable and all(n.startswith('backbone.adapters.') for n in trainable)
    before = eval_loss(model, batch)
    wrapper = OptimWrapper(
        torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3))
    model.train()
    losses = [model.train_step(batch, wrapper)['loss'].item() for _ in range(5)]
    after = eval_loss(model, batch)
    print(f'InfoNCE on a fixed BUSI batch of 8: before {before:.4f}, after 5 steps {after:.4f}; '
          f'train losses {[round(x, 3) for x in losses]}')
    assert after < before - 0.05


def test_logit_scale_options(tiny_clip_weights):
    fixed = build(tiny_clip_weights)
    assert fixed.scale().item() == pytest.approx(1 / 0.07, rel=1e-5)
    assert 'logit_scale' not in dict(fixed.named_parameters())
    learned = build(tiny_clip_weights, logit_scale=dict(init='pretrained', learnable=True, max=100))
    assert learned.scale().item() == pytest.approx(50.0, rel=1e-5)
    assert learned.logit_scale.requires_grad
    clamped = build(tiny_clip_weights, logit_scale=dict(init=500.0, learnable=True, max=100))
    assert clamped.scale().item() == pytest.approx(100.0, rel=1e-5)


def _randomise_adapters(model):
    torch.manual_seed(1)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if param.requires_grad and 'logit' not in name:
                param.add_(torch.randn_like(param) * 0.05)


def test_lora_vt_export_load_round_trip(tiny_clip_weights, tmp_path):
    model = build(tiny_clip_weights, adapter=LORA, text_adapter=LORA)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert any(n.startswith('text_encoder.') and '.lora_' in n for n in trainable)
    assert all('.lora_' in n for n in trainable)
    _randomise_adapters(model)
    files = export_adapters(model.backbone, tmp_path / 'vt.safetensors', model.text_encoder)
    assert files == [tmp_path / 'vt.safetensors', text_adapter_path(tmp_path / 'vt.safetensors')]
    loaded = build(
        tiny_clip_weights,
        adapter=LORA,
        text_adapter=LORA,
        adapter_checkpoint=str(files[0]),
        text_adapter_checkpoint=str(files[1]))
    fresh = build(tiny_clip_weights, adapter=LORA, text_adapter=LORA)
    images = torch.randint(0, 256, (2, 3, 224, 224)).float()
    texts = samples([
        'hypoechoic oval mass with circumscribed margin',
        'irregular spiculated lesion with posterior shadowing'
    ])
    outputs = [m.eval()(images, texts, mode='tensor') for m in (model, loaded, fresh)]
    for key in ('image_embeds', 'text_embeds'):
        assert torch.equal(outputs[0][key], outputs[1][key])
        assert not torch.allclose(outputs[0][key], outputs[2][key])


def test_ht_export_loads_into_segmentation_backbone(tiny_clip_weights, tmp_path):
    model = build(tiny_clip_weights)
    _randomise_adapters(model)
    path = export_adapters(model.backbone, tmp_path / 'ht.safetensors')[0]
    assert not text_adapter_path(path).exists()  # frozen text tower: no text file
    seg_backbone = SEG_MODELS.build(
        dict(
            type='CLIPViT',
            arch=TINY,
            pretrained=str(tiny_clip_weights),
            adapter=HT,
            out_indices=(3, 6, 9),
            adapter_checkpoint=str(path),
            _scope_='mmseg'))
    exported = model.backbone.adapter_state_dict()
    for name, value in seg_backbone.adapter_state_dict().items():
        assert torch.equal(value, exported[name])
    images = torch.randint(0, 256, (1, 3, 224, 224)).float()
    model.eval(), seg_backbone.eval()
    with torch.no_grad():
        maps = seg_backbone(images)
        reference = model.backbone(images)[:3]
    assert all(torch.equal(a, b) for a, b in zip(maps, reference))


def _load_tool(name):
    spec = importlib.util.spec_from_file_location(name, REPO / 'tools' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_export_tool_on_a_vt_checkpoint(tiny_clip_weights, tmp_path):
    model = build(tiny_clip_weights, adapter=LORA, text_adapter=LORA)
    _randomise_adapters(model)
    checkpoint = tmp_path / 'iter_1.pth'
    torch.save(dict(meta=dict(iter=1), state_dict=model.state_dict()), checkpoint)
    towers = split_checkpoint_adapters(model.state_dict())
    assert set(towers['image']) == set(model.backbone.adapter_state_dict())
    assert set(towers['text']) == set(model.text_encoder.adapter_state_dict())
    config = REPO / 'configs' / 'finetune' / 'clip-lora-vt_captions.py'
    out = tmp_path / 'export' / 'vt.safetensors'
    rank = [
        'model.backbone.adapter.rank=4', 'model.backbone.adapter.alpha=8',
        'model.text_encoder.adapter.rank=4', 'model.text_encoder.adapter.alpha=8'
    ]
    assert _load_tool('export_adapters').main([
        str(config),
        str(checkpoint),
        str(out), '--cfg-options', f'model.backbone.arch={TINY}', *rank
    ]) == 0
    from safetensors.torch import load_file
    image, text = load_file(str(out)), load_file(str(text_adapter_path(out)))
    assert all(torch.equal(image[k], v) for k, v in model.backbone.adapter_state_dict().items())
    assert all(torch.equal(text[k], v) for k, v in model.text_encoder.adapter_state_dict().items())


CONFIGS = sorted((REPO / 'configs' / 'finetune').glob('*_captions.py'))


@pytest.mark.parametrize('config', CONFIGS, ids=[c.stem for c in CONFIGS])
def test_configs_build_with_tiny_towers(config, tiny_bert_dir):
    cfg = Config.fromfile(str(config))
    assert cfg.default_scope == 'mmpretrain'
    assert cfg.model.backbone.arch in ('ViT-B-16-quickgelu',
                                       'BiomedCLIP-PubMedBERT_256-vit_base_patch16_224')
    cfg.model.backbone.arch = TINY
    text_arch = cfg.model.text_encoder.get('arch')
    if text_arch is not None:  # Hugging Face text towers: the bundled config, built from a folder
        assert text_arch in IMAGE_ARCHS and cfg.model.text_encoder.text_model_dir
        cfg.model.backbone.update(arch=IMAGE_ARCHS[text_arch][0], out_indices=(1, 2, 3))
        cfg.model.text_encoder.arch = tiny_medical_arch(text_arch)
        cfg.model.text_encoder.text_model_dir = str(tiny_bert_dir)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    adapter_type = cfg.model.backbone.adapter['type']
    assert adapter_type == ('LoRAAdapter' if '-lora' in config.stem else 'HTAdapter')
    assert trainable and all(n.startswith('backbone.adapters.') or '.lora_' in n for n in trainable)
    assert any(n.startswith('text_encoder.') for n in trainable) == ('lora-vt' in config.stem)
