"""Zero-shot with BiomedCLIP/UniMedCLIP towers (BERT text tower from a local folder), offline.

The classifier on phantom images (no data needed) against a direct computation,
and tools/zero_shot.py end to end on real BUSI images with the real configs,
with and without a folder.
"""
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmseg_ht.classification  # noqa: F401  (registrations)
from mmseg_ht.classification.metric import binary_classification_metrics
from mmseg_ht.classification.prompts import load_prompt_ensemble
from mmseg_ht.datasets.phantom import generate_phantom_sample
from mmseg_ht.models.text_encoder import OpenCLIPTextEncoder
from tests.conftest import run_tool_in_process
from tests.tiny_bert import no_network  # noqa: F401
from tests.tiny_bert import tiny_bert_dir  # noqa: F401 (fixtures)
from tests.tiny_bert import BIOMEDCLIP, IMAGE_ARCHS, UNIMEDCLIP, tiny_medical_arch, write_release

pytestmark = pytest.mark.usefixtures('one_torch_thread', 'no_network')
REPO = Path(__file__).resolve().parents[2]
ARCHS = (BIOMEDCLIP, UNIMEDCLIP)
STEMS = {BIOMEDCLIP: 'biomedclip', UNIMEDCLIP: 'unimedclip'}
METRICS = {f'cls/{k}' for k in ('accuracy', 'precision', 'recall', 'f1', 'auc')}


@pytest.fixture(scope='module')
def releases(tmp_path_factory):
    folder = tmp_path_factory.mktemp('zs_releases')
    return {name: write_release(folder / f'{STEMS[name]}.pt', name) for name in ARCHS}


def phantom_images(size, count=6):
    rng = np.random.default_rng(1)
    labels = [i % 2 for i in range(count)]
    images = [
        np.repeat(
            generate_phantom_sample(rng, ('benign', 'malignant')[y], size).image[None], 3, axis=0)
        for y in labels
    ]
    return torch.from_numpy(np.stack(images)).float(), torch.tensor(labels)


@pytest.mark.parametrize('name', ARCHS)
def test_prompt_ensembles_on_phantom_images(name, tiny_bert_dir, releases):
    weights = str(releases[name])
    text_encoder = dict(
        arch=tiny_medical_arch(name), pretrained=weights, text_model_dir=str(tiny_bert_dir))
    model = MODELS.build(
        dict(
            type='PromptEnsembleClassifier',
            data_preprocessor=dict(type='ClsDataPreprocessor', mean=None, std=None, to_rgb=True),
            backbone=dict(
                type='CLIPViT',
                arch=IMAGE_ARCHS[name][0],
                pretrained=weights,
                out_indices=(1, 2, 3)),
            text_encoder=text_encoder,
            prompts='breast')).eval()
    assert model.prompt_embeddings.shape == (20, 32)
    assert model.logit_scale == pytest.approx(1 / 0.07, rel=1e-5)  # the file's, not 100
    # the buffers are the released text tower's embeddings of the bundled prompts
    prompts = load_prompt_ensemble('breast', ('benign', 'malignant'))
    encoder = OpenCLIPTextEncoder(**text_encoder).eval()
    for index, label in enumerate(('benign', 'malignant')):
        torch.testing.assert_close(model.prompt_embeddings[model.prompt_class == index],
                                   encoder.encode_prompts(prompts[label]))
    images, labels = phantom_images(IMAGE_ARCHS[name][1])
    samples = model(images, [DataSample().set_gt_label(int(y)) for y in labels], mode='predict')
    image = model.image_embeddings(images)
    expected = torch.stack([(image @ model.prompt_embeddings[model.prompt_class == c].t()).mean(1)
                            for c in (0, 1)],
                           dim=1)
    scores = torch.stack([s.pred_score for s in samples])
    torch.testing.assert_close(scores, F.softmax(expected / 0.07, dim=1), rtol=1e-4, atol=1e-5)
    metrics = binary_classification_metrics(scores, labels, positive_index=1)
    print(f'{name} zero-shot on 6 phantom images (random tiny towers): {metrics}')
    assert set(metrics) == {'accuracy', 'precision', 'recall', 'f1', 'auc'}
    assert all(0.0 <= v <= 100.0 for v in metrics.values() if not math.isnan(v))


def tiny_zero_shot_config(tmp_path, name):
    """The real zero-shot BUSI config of ``name`` with tiny towers (a child config file)."""
    image_arch, size = IMAGE_ARCHS[name]
    path = tmp_path / f'tiny_{STEMS[name]}_busi.py'
    path.write_text(
        f"_base_ = ['{REPO}/configs/zero_shot/{STEMS[name]}_busi.py']\n"
        f"model = dict(backbone=dict(arch={dict(image_arch, _delete_=True)!r},\n"
        f"                           out_indices=(1, 2, 3)),\n"
        f"             text_encoder=dict(arch={dict(tiny_medical_arch(name), _delete_=True)!r}))\n"
        "test_dataloader = dict(dataset=dict(pipeline=[dict(type='LoadUltrasoundImage'),\n"
        f"    dict(type='Resize', scale=({size}, {size}), keep_ratio=False),\n"
        "    dict(type='PackInputs')]))\n")
    return path


FAST = ['test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False']


@pytest.mark.parametrize('name', ARCHS)
def test_zero_shot_tool(name, tiny_bert_dir, releases, busi_cls_root, tmp_path, monkeypatch,
                        capsys):
    monkeypatch.delenv('BIOMEDBERT_DIR', raising=False)
    config = str(tiny_zero_shot_config(tmp_path, name))
    weights = str(releases[name])
    options = [
        '--cfg-options', f'model.backbone.pretrained={weights}',
        f'model.text_encoder.pretrained={weights}', *FAST
    ]
    # no folder given: the config's default folder does not exist -> the files are named
    # (a TextModelFolderError, an MmsegHtError: one line on stderr and exit code 2)
    with pytest.raises(SystemExit) as exit_:
        run_tool_in_process(
            'tools/zero_shot.py',
            config,
            '--work-dir',
            str(tmp_path),
            *options,
            data_root=busi_cls_root)
    assert exit_.value.code == 2
    assert re.search(
        r'^zero_shot\.py: error: .*BiomedNLP-BiomedBERT-base-uncased-abstract.*'
        r'config\.json.*vocab\.txt',
        capsys.readouterr().err, re.M)
    run_tool_in_process(
        'tools/zero_shot.py',
        config,
        '--text-model-dir',
        str(tiny_bert_dir),
        '--work-dir',
        str(tmp_path),
        *options,
        data_root=busi_cls_root)
    result = json.loads((tmp_path / 'zero_shot_results.json').read_text())
    print(f'{name} zero-shot on the BUSI test split (random tiny towers): {result["metrics"]}')
    assert set(result['metrics']) == METRICS
    assert result['prompts_per_class'] == {'benign': 10, 'malignant': 10}
    assert result['logit_scale'] == pytest.approx(1 / 0.07, rel=1e-4)
