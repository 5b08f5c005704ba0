"""Stage 1 from the tools: captions.py → tools/train.py (tiny tower) → export_adapters.py → seg
config."""
import csv
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS
from safetensors.torch import load_file

REPO = Path(__file__).resolve().parents[2]
TINY = 'mmseg_ht-tiny-vit16'


def _tool(relative):
    spec = importlib.util.spec_from_file_location(Path(relative).stem, REPO / relative)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _busi_subset(busi_root, folder, per_class=6):
    rows = list(csv.DictReader(open(busi_root / 'all_captions.csv', encoding='utf-8')))
    picked = [r for r in rows if r['label'] == 'benign'][:per_class] + \
        [r for r in rows if r['label'] == 'malignant'][:per_class]
    folder.mkdir(parents=True, exist_ok=True)
    table = folder / 'captions.csv'
    with open(table, 'w', newline='', encoding='utf-8') as handle:
        writer = csv.DictWriter(handle, fieldnames=['image_path', 'text_caption', 'label'])
        writer.writeheader()
        for row in picked:
            (folder / row['image_path']).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(busi_root / row['image_path'], folder / row['image_path'])
            writer.writerow(row)
        writer.writerow(
            dict(
                image_path='benign/gone.png',
                label='benign',
                text_caption='An ultrasound image of breast with benign findings.'))
        writer.writerow(
            dict(image_path=picked[0]['image_path'], text_caption='<b>US</b> ®', label='benign'))
    return table


def test_captions_train_export_and_load_into_segmentation(busi_root, tmp_path):
    table = _busi_subset(busi_root, tmp_path / 'source')
    data = tmp_path / 'data'
    assert _tool('tools/dataset_converters/captions.py').main([str(table), str(data)]) == 0
    report = json.load(open(data / 'cleaning_report.json'))
    assert report['kept'] == 12 and report['splits']['pairs'] == dict(train=11, val=1)
    assert report['dropped']['by_reason']['image_missing'] == 1
    assert report['dropped']['by_reason']['caption_too_short'] == 1

    work = tmp_path / 'work'
    config = REPO / 'configs' / 'finetune' / 'clip-ht_captions.py'
    loader = ['num_workers=0', 'persistent_workers=False']
    options = [
        f'model.backbone.arch={TINY}', 'train_cfg.max_iters=3', 'train_cfg.val_interval=3',
        'train_dataloader.batch_size=4', 'default_hooks.logger.interval=1',
        *[f'{split}_dataloader.{o}' for split in ('train', 'val') for o in loader]
    ]
    env = dict(os.environ, DATA_ROOT=str(data))
    result = subprocess.run([
        sys.executable,
        str(REPO / 'tools' / 'train.py'),
        str(config), '--work-dir',
        str(work), '--cfg-options', *options
    ],
                            cwd=tmp_path,
                            env=env,
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    log = result.stdout + result.stderr
    assert 'retrieval/i2t_R@1' in log and 'loss_infonce' in log
    for name in ('iter_3.pth', 'adapters_best.safetensors', 'adapters_last.safetensors'):
        assert (work / name).is_file(), sorted(p.name for p in work.iterdir())
    checkpoint = torch.load(work / 'iter_3.pth', map_location='cpu', weights_only=True)
    trained = {
        k[len('backbone.'):]: v
        for k, v in checkpoint['state_dict'].items() if k.startswith('backbone.adapters.')
    }

    out = tmp_path / 'export' / 'clip-ht.safetensors'
    assert _tool('tools/export_adapters.py').main([
        str(config),
        str(work / 'iter_3.pth'),
        str(out), '--cfg-options', f'model.backbone.arch={TINY}'
    ]) == 0
    exported = load_file(str(out))
    assert set(exported) == set(trained)
    assert all(torch.equal(exported[k], v) for k, v in trained.items())
    assert all(
        torch.equal(exported[k], v)
        for k, v in load_file(str(work / 'adapters_last.safetensors')).items())

    seg = Config.fromfile(str(REPO / 'configs' / 'ht' / 'clip-ht_busi.py'))
    seg.model.backbone.update(arch=TINY, adapter_checkpoint=str(out))
    seg.model.decode_head.in_channels = (64, 64, 64)
    with DefaultScope.overwrite_default_scope('mmseg'):
        segmentor = MODELS.build(seg.model)
    loaded = segmentor.backbone.adapter_state_dict()
    assert set(loaded) == set(trained)
    assert all(torch.equal(loaded[k].detach(), v) for k, v in trained.items())
