"""Retrieval-augmented classification: the blending rules, the bank file, and the tools end to end.

End to end: a tiny CLIP classifier is trained for 2 iterations (its head is
still near random), a reference bank of the training split is built with
tools/build_reference_bank.py, saved, loaded by the model and tested with
the stock tools/test.py; pure kNN votes over the bank must classify the
separable stripes test set (which the barely trained head cannot).
"""
import json

import pytest
import torch
import torch.nn.functional as F

from mmseg_ht.classification.reference_bank import ReferenceBank, ReferenceBankError
from mmseg_ht.classification.retrieval import blend, check_settings, knn_votes, tip_cache_logits
from tests.conftest import run_tool_in_process
from tests.test_classification.test_cls_tools import FAST_LOADERS as LOADERS
from tests.test_classification.test_cls_tools import SHORT, TINY, TINY_CLS

pytestmark = pytest.mark.usefixtures('one_torch_thread')

CONFIG = 'configs/retrieval/clip-frozen-knn_busi.py'


def two_clusters(count: int, seed: int = 0):
    """Normalised embeddings of two well separated Gaussian clusters and their labels."""
    generator = torch.Generator().manual_seed(seed)
    centres = F.normalize(torch.randn(2, 16, generator=generator), dim=-1) * 4
    labels = torch.arange(count) % 2
    points = centres[labels] + torch.randn(count, 16, generator=generator) * 0.5
    return F.normalize(points, dim=-1), labels


def test_knn_on_separable_embeddings_is_exact_and_tip_agrees():
    bank, bank_labels = two_clusters(40, seed=0)
    queries, labels = two_clusters(40, seed=1)
    similarity = queries @ bank.t()
    votes = knn_votes(similarity, bank_labels, 2, k=5, temperature=0.1)
    torch.testing.assert_close(votes.sum(1), torch.ones(40))
    assert (votes.argmax(1) == labels).float().mean() == 1.0
    cache = tip_cache_logits(similarity, bank_labels, 2, beta=5.5)
    assert (cache.argmax(1) == labels).float().mean() == 1.0
    # a wrong, confident head is overruled by weight 1 and kept by weight 0
    wrong = F.one_hot(1 - labels, 2).float() * 10
    knn = dict(check_settings(dict(mode='knn', k=5)), weight=1.0)
    assert (blend(wrong, similarity, bank_labels, knn).argmax(1) == labels).all()
    assert (blend(wrong, similarity, bank_labels, dict(knn,
                                                       weight=0.0)).argmax(1) == 1 - labels).all()


def test_bank_round_trip_and_errors(tmp_path):
    embeddings, labels = two_clusters(6)
    bank = ReferenceBank(embeddings * 3, labels, [f'c{i}.png' for i in range(6)],
                         ('benign', 'malignant'), 'pooled', dict(split='train'))
    loaded = ReferenceBank.load(bank.save(tmp_path / 'bank.safetensors'))
    torch.testing.assert_close(loaded.embeddings, embeddings)  # stored normalised
    assert loaded.files == bank.files and loaded.info['split'] == 'train'
    assert loaded.class_counts() == {'benign': 3, 'malignant': 3}
    with pytest.raises(ReferenceBankError, match='not found.*build_reference_bank'):
        ReferenceBank.load(tmp_path / 'missing.safetensors')
    (tmp_path / 'junk.safetensors').write_bytes(b'not a bank')
    with pytest.raises(ReferenceBankError, match='junk.safetensors'):
        ReferenceBank.load(tmp_path / 'junk.safetensors')
    with pytest.raises(ReferenceBankError, match='class indices'):
        ReferenceBank(embeddings, labels + 1, bank.files, ('benign', 'malignant'))
    with pytest.raises(ValueError, match='unknown retrieval settings'):
        check_settings(dict(neighbours=3))


@pytest.fixture(scope='module')
def trained_checkpoint(stripes_root, tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('retrieval_train')
    # the classifier trains with its plain config: the same model and state dict
    run_tool_in_process(
        'tools/train.py',
        'configs/cls/clip-frozen_busi.py',
        '--work-dir',
        str(work_dir),
        '--cfg-options',
        *TINY_CLS,
        *LOADERS,
        *SHORT,
        data_root=stripes_root)
    return work_dir / 'iter_2.pth'


def test_build_bank_then_test_with_the_stock_tool(trained_checkpoint, stripes_root, tmp_path):
    bank_file = tmp_path / 'bank.safetensors'
    run_tool_in_process(
        'tools/build_reference_bank.py',
        CONFIG,
        '--checkpoint',
        str(trained_checkpoint),
        '--out',
        str(bank_file),
        '--work-dir',
        str(tmp_path),
        '--cfg-options',
        *TINY_CLS,
        data_root=stripes_root)
    bank = ReferenceBank.load(bank_file)
    assert len(bank) == 16 and bank.class_counts() == {'benign': 8, 'malignant': 8}
    assert bank.files[0] == 'img_dir/train/train_00_benign.png' and bank.feature == 'pooled'

    def test(weight, work_dir):
        run_tool_in_process(
            'tools/test.py',
            CONFIG,
            str(trained_checkpoint),
            '--work-dir',
            str(work_dir),
            '--cfg-options',
            *TINY_CLS,
            *LOADERS,
            f'model.retrieval.bank={bank_file}',
            f'model.retrieval.weight={weight}',
            'model.retrieval.k=3',
            data_root=stripes_root)
        return json.loads((work_dir / 'test_results.json').read_text())['metrics']

    head_only = test(0.0, tmp_path / 'head')
    knn_only = test(1.0, tmp_path / 'knn')
    assert knn_only['cls/accuracy'] >= 90.0, knn_only
    assert knn_only['cls/accuracy'] > head_only['cls/accuracy'], (head_only, knn_only)
    lines = (tmp_path / 'knn' / 'nearest_cases.jsonl').read_text().splitlines()
    assert len(lines) == 12
    for line in map(json.loads, lines):
        cases = line['nearest_references']
        assert len(cases) == 5 and cases[0]['file'].startswith('img_dir/train/')
        assert cases[0]['similarity'] >= cases[-1]['similarity']
        truth = ('benign', 'malignant')[line['gt_label']]
        assert cases[0]['label'] == truth  # the nearest confirmed case has the true class


def test_missing_bank_is_a_clear_error(trained_checkpoint, stripes_root, tmp_path):
    with pytest.raises(ReferenceBankError, match='no reference bank.*build_reference_bank'):
        run_tool_in_process(
            'tools/test.py',
            CONFIG,
            str(trained_checkpoint),
            '--work-dir',
            str(tmp_path),
            '--cfg-options',
            *TINY_CLS,
            *LOADERS,
            data_root=stripes_root)


def test_zero_shot_with_a_tip_adapter_cache(stripes_root, tiny_clip_weights, tmp_path):
    weights = [
        f'model.backbone.arch={TINY}', f'model.text_encoder.arch={TINY}',
        f'model.backbone.pretrained={tiny_clip_weights}',
        f'model.text_encoder.pretrained={tiny_clip_weights}', *LOADERS
    ]

    def run(alpha, work_dir):
        run_tool_in_process(
            'tools/build_reference_bank.py',
            'configs/retrieval/clip-tip_busi.py',
            '--test',
            '--work-dir',
            str(work_dir),
            '--cfg-options',
            *weights,
            f'model.retrieval.alpha={alpha}',
            data_root=stripes_root)
        return json.loads((work_dir / 'test_results.json').read_text())

    plain = run(0.0, tmp_path / 'plain')  # alpha 0: the zero-shot prompt ensemble alone
    cached = run(1000.0, tmp_path / 'tip')
    assert cached['experiment']['method'] == 'Zero-shot + Tip-Adapter'
    assert cached['metrics']['cls/accuracy'] >= 90.0
    assert cached['metrics']['cls/accuracy'] > plain['metrics']['cls/accuracy']
