"""Prompt ensembles for zero-shot classification, stored as JSON data files.

A prompt file holds ``{"description": ..., "classes": {class_name: [prompt, ...]}}``.
Bundled files live in ``mmseg_ht/prompts/`` (``breast``, ``lymph_node``,
``thyroid``: 10 prompts per class); a config may name one of them or give
the path of its own file.
"""
import json
from pathlib import Path
from typing import Dict, List, Sequence, Union

PROMPT_DIR = Path(__file__).resolve().parents[1] / 'prompts'


def bundled_prompt_sets() -> List[str]:
    """Names of the prompt files shipped with mmseg_ht."""
    return sorted(p.stem for p in PROMPT_DIR.glob('*.json'))


def prompt_file(name_or_path: Union[str, Path]) -> Path:
    """The file of a bundled set name (e.g. 'breast') or an existing path."""
    path = Path(name_or_path).expanduser()
    if path.suffix == '.json':
        if not path.is_file():
            raise FileNotFoundError(f'prompt file not found: {path}')
        return path
    bundled = PROMPT_DIR / f'{name_or_path}.json'
    if not bundled.is_file():
        raise ValueError(f'unknown prompt set {str(name_or_path)!r}: give one of '
                         f'{bundled_prompt_sets()} or the path of a .json prompt file')
    return bundled


def load_prompt_ensemble(name_or_path: Union[str, Path],
                         classes: Sequence[str]) -> Dict[str, List[str]]:
    """Prompts per class, in the order of ``classes``; errors name the file and class."""
    path = prompt_file(name_or_path)
    with path.open(encoding='utf-8') as handle:
        data = json.load(handle)
    table = data.get('classes') if isinstance(data, dict) else None
    if not isinstance(table, dict):
        raise ValueError(f'{path}: expected {{"classes": {{class_name: [prompts]}}}}')
    ensemble = {}
    for name in classes:
        prompts = table.get(name)
        if not prompts or not all(isinstance(p, str) and p.strip() for p in prompts):
            raise ValueError(f'{path}: class {name!r} needs a non-empty list of prompt strings '
                             f'(the file has classes {sorted(table)})')
        ensemble[name] = [p.strip() for p in prompts]
    return ensemble
