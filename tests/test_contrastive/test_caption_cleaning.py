"""Caption cleaning rules, on hand-made strings and the real ROCO ultrasound captions."""
import csv
import json
import unicodedata

import cv2
import numpy as np
import pytest

from mmseg_ht.contrastive.caption_cleaning import (CAPTION_EMPTY, CAPTION_TOO_SHORT,
                                                   KEPT_PUNCTUATION, check_caption, clean_caption)
from mmseg_ht.contrastive.caption_corpus import build_caption_corpus


def _only_allowed(text: str) -> bool:
    return all(
        unicodedata.category(c)[0] in 'LMN' or c == ' ' or c in KEPT_PUNCTUATION
        or c in '\u200c\u200d' for c in text)


@pytest.mark.parametrize('raw, expected', [
    ('<b>Liver</b> lesion &amp; cyst 😀 ®', 'Liver lesion & cyst'),
    ('Lesion (*) near the bladder — see https://example.org/fig1', 'Lesion near the bladder - see'),
    ('ultra\xadsound\u200b   image\n\twith\xa0cyst .', 'ultrasound image with cyst.'),
    ('mass 2.6 × 3.1\u2009cm, “pseudo-kidney” sign ±',
     'mass 2.6 x 3.1 cm, "pseudo-kidney" sign +/-'),
    ('angle of 45° ; index ([A–B]/B) (%)', 'angle of 45°; index ([A-B]/B) (%)'),
    ('乳腺超声图像，显示低回声结节。', '乳腺超声图像,显示低回声结节.'),
])
def test_clean_caption_rules(raw, expected):
    assert clean_caption(raw) == expected


@pytest.mark.parametrize('text', [
    'Echographie pelvienne: masse kystique ovarienne à paroi épaissie',
    'Ecografía del hígado con lesión hipoecoica de bordes irregulares',
    'अल्ट्रासाउंड छवि में स्तन की गांठ दिखाई दे रही है',
    'Ультразвуковое исследование щитовидной железы',
])
def test_non_english_captions_pass_untouched(text):
    assert check_caption(text) == (text, None)


def test_short_and_empty_captions_are_dropped():
    assert check_caption('Spectral Doppler wave.') == ('Spectral Doppler wave.', None)  # 22 chars
    assert check_caption('Doppler image (®) .')[1] == CAPTION_TOO_SHORT  # 'Doppler image.'
    assert check_caption('  a' * 3 + 'x' * 14)[1] == CAPTION_TOO_SHORT
    for empty in (None, float('nan'), '', '  ** # ', '<br/>'):
        assert check_caption(empty) == ('', CAPTION_EMPTY)
    assert check_caption('x' * 19, min_length=19)[1] is None


def test_real_roco_captions(roco_captions_csv):
    rows = list(csv.DictReader(open(roco_captions_csv, encoding='utf-8')))
    assert len(rows) == 510
    results = [check_caption(r['caption']) for r in rows]
    # none of the real captions is shorter than 20 characters or empty after cleaning
    assert all(reason is None for _, reason in results)
    cleaned = [text for text, _ in results]
    assert all(_only_allowed(text) for text in cleaned)
    assert all(text == ' '.join(text.split()) for text in cleaned)
    changed = sum(text != r['caption'] for text, r in zip(cleaned, rows))
    assert 50 <= changed <= 120  # typographic dashes/quotes, ×, thin/no-break spaces, ®, *
    assert not any(c in text for text in cleaned for c in '\xa0\u2009×“”®*#')
    french = [t for t in cleaned if t.startswith('Echographie')]
    assert french and any('é' in t for t in french)  # accents survive
    unchanged = [t for t, r in zip(cleaned, rows) if t == r['caption']]
    assert len(unchanged) == len(rows) - changed


def test_roco_table_without_images_drops_every_row(roco_captions_csv, tmp_path):
    report = build_caption_corpus(
        roco_captions_csv, tmp_path / 'out', image_key='pmc_image', image_root=tmp_path)
    data = report.to_dict()
    assert data['rows'] == 510 and data['kept'] == 0
    assert data['dropped']['by_reason']['image_missing'] == 510


def test_roco_table_with_some_images(roco_captions_csv, tmp_path):
    rows = list(csv.DictReader(open(roco_captions_csv, encoding='utf-8')))
    images = tmp_path / 'images'
    images.mkdir()
    for row in rows[:20]:  # 20 real images (tiny PNGs) ...
        cv2.imwrite(str(images / row['pmc_image']), np.full((8, 8), 128, np.uint8))
    (images / rows[20]['pmc_image']).write_bytes(b'not an image')  # ... and a corrupt one
    table = tmp_path / 'subset.jsonl'
    with open(table, 'w', encoding='utf-8') as handle:
        for row in rows[:25]:
            handle.write(json.dumps(dict(image=row['pmc_image'], caption=row['caption'])) + '\n')
        handle.write(json.dumps(dict(image=rows[0]['pmc_image'], caption='US image (*)')) + '\n')
    report = build_caption_corpus(table, tmp_path / 'out', image_root=images, seed=3)
    data = report.to_dict()
    assert data['dropped']['by_reason'] == dict(
        caption_empty=0,
        caption_too_short=1,
        image_field_empty=0,
        image_missing=4,
        image_unreadable=1)
    assert data['splits']['pairs'] == dict(train=18, val=2)
    train = json.load(open(tmp_path / 'out' / 'train.json', encoding='utf-8'))
    val = json.load(open(tmp_path / 'out' / 'val.json', encoding='utf-8'))
    assert train['metainfo']['image_root'] == str(images.resolve())
    names = [d['img_path'] for d in train['data_list'] + val['data_list']]
    assert sorted(names) == sorted(r['pmc_image'] for r in rows[:20])
    assert json.load(open(tmp_path / 'out' / 'cleaning_report.json'))['kept'] == 20
    # the same seed gives the same split; another seed another one
    again = build_caption_corpus(table, tmp_path / 'again', image_root=images, seed=3)
    build_caption_corpus(table, tmp_path / 'other', image_root=images, seed=4)
    load = lambda d: json.load(open(tmp_path / d / 'val.json'))['data_list']  # noqa: E731
    assert load('again') == load('out') and load('other') != load('out')
    assert again.split_pairs == report.split_pairs
    assert 'image_missing' in report.summary()
