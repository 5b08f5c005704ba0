"""The bundled prompt ensembles: 10 distinct prompts per class that fit CLIP's context."""
import json

import pytest
from open_clip.tokenizer import SimpleTokenizer

from mmseg_ht.classification import bundled_prompt_sets, load_prompt_ensemble


@pytest.mark.parametrize('name', ['breast', 'lymph_node', 'thyroid'])
def test_bundled_sets(name):
    assert name in bundled_prompt_sets()
    ensemble = load_prompt_ensemble(name, ('benign', 'malignant'))
    tokenizer = SimpleTokenizer()
    all_prompts = ensemble['benign'] + ensemble['malignant']
    assert [len(ensemble['benign']), len(ensemble['malignant'])] == [10, 10]
    assert len(set(all_prompts)) == 20
    assert max(len(tokenizer.encode(p)) + 2 for p in all_prompts) <= 77  # no truncation


def test_own_file_and_errors(tmp_path):
    path = tmp_path / 'mine.json'
    path.write_text(json.dumps({'classes': {'benign': ['a'], 'malignant': ['b', 'c']}}))
    assert load_prompt_ensemble(str(path), ('malignant', 'benign')) == {
        'malignant': ['b', 'c'],
        'benign': ['a']
    }
    with pytest.raises(ValueError, match="class 'normal' needs"):
        load_prompt_ensemble(str(path), ('normal', ))
    with pytest.raises(ValueError, match='unknown prompt set'):
        load_prompt_ensemble('kidney', ('benign', ))
