"""Hugging Face text towers (BiomedCLIP's and UniMedCLIP's BiomedBERT) from a local folder only.

open_clip builds these towers with ``AutoConfig``/``AutoTokenizer.from_pretrained(<hub id>)``,
which needs the Hugging Face hub. Here the name handed to open_clip is always a
checked local folder (config + tokenizer files), the hub's offline switches are
set before ``transformers`` is imported, and transformers never loads weights
itself: the text weights come from the released CLIP checkpoint (BiomedCLIP's
``text.*``, UniMedCLIP's ``text_encoder.*``) or from the folder, read safely.
"""
import json
import os
import sys
from pathlib import Path
from typing import Dict, Optional, Tuple, Union

import torch
import torch.nn as nn

from mmseg_ht.utils.errors import MmsegHtError

OFFLINE_SWITCHES = {'HF_HUB_OFFLINE': '1', 'TRANSFORMERS_OFFLINE': '1'}
DEFAULT_HF_SOURCE = 'microsoft/BiomedNLP-BiomedBERT-base-uncased-abstract'
# (accepted names, what it is): the folder needs one file of each entry.
REQUIRED_FILES: Tuple[Tuple[Tuple[str, ...], str], ...] = (
    (('config.json', ), 'the BERT architecture'),
    (('vocab.txt', 'tokenizer.json'), 'the WordPiece vocabulary'),
)
RECOMMENDED_FILES = ('tokenizer_config.json', )  # lower-casing, special tokens
FOLDER_WEIGHT_FILES = ('model.safetensors', 'pytorch_model.bin')
POSITION_IDS = 'transformer.embeddings.position_ids'  # a buffer older transformers saved
MEDICAL_INSTALL = 'pip install -e ".[medical]"  (or: pip install -r requirements/medical.txt)'


class TextModelFolderError(MmsegHtError, FileNotFoundError):
    """The local Hugging Face text model folder is missing or incomplete."""


def enable_offline_mode() -> None:
    """Forbid every hub access of huggingface_hub and transformers in this process.

    The environment switches are read when those packages are imported; if they
    already are, their cached flags are set as well.
    """
    os.environ.update(OFFLINE_SWITCHES)
    hub_constants = sys.modules.get('huggingface_hub.constants')
    if hub_constants is not None:
        hub_constants.HF_HUB_OFFLINE = True
    transformers_hub = sys.modules.get('transformers.utils.hub')
    if transformers_hub is not None and hasattr(transformers_hub, '_is_offline_mode'):
        transformers_hub._is_offline_mode = True


def import_transformers():
    """``transformers`` in offline mode, or an ImportError saying how to install it."""
    enable_offline_mode()
    try:
        import transformers
    except ImportError as err:
        raise ImportError('BiomedCLIP/UniMedCLIP text towers are Hugging Face BERT models and need '
                          f'`transformers`: {MEDICAL_INSTALL}') from err
    return transformers


def is_hf_text_cfg(text_cfg: Dict) -> bool:
    """True when open_clip would build this text tower with ``HFTextEncoder``."""
    return bool(text_cfg.get('hf_model_name'))


def folder_help(folder: Optional[Union[str, Path]], source: str) -> str:
    """What the folder must hold and where those files come from (for error messages)."""
    needed = '; '.join(' or '.join(names) + f' ({what})' for names, what in REQUIRED_FILES)
    return (f'The text tower is built only from a local Hugging Face model folder: give it as '
            'model.text_encoder.text_model_dir=DIR (--cfg-options), --text-model-dir DIR '
            '(tools/zero_shot.py, tools/export_adapters.py) or BIOMEDBERT_DIR=DIR. DIR needs: '
            f'{needed}; recommended: {", ".join(RECOMMENDED_FILES)}. They are the files of the '
            f'Hugging Face model "{source}": copy them from a machine with internet access, e.g. '
            f'`huggingface-cli download {source} config.json vocab.txt tokenizer_config.json '
            '--local-dir DIR`. The text weights come from the CLIP weights file '
            "(BiomedCLIP's open_clip_pytorch_model.bin, UniMedCLIP's unimed_clip_vit_b16.pt: "
            'model.text_encoder.pretrained), so BERT weights are not needed. '
            f'Looked in: {folder if folder else "(no folder given)"}.')


def check_text_model_folder(folder: Optional[Union[str, Path]],
                            source: str = DEFAULT_HF_SOURCE) -> Path:
    """Return ``folder`` as an absolute path after checking it holds config and tokenizer files."""
    if not folder:
        raise TextModelFolderError('no local text model folder given. ' + folder_help(None, source))
    path = Path(folder).expanduser().resolve()
    if not path.is_dir():
        raise TextModelFolderError(f'text model folder not found: {path}. ' +
                                   folder_help(path, source))
    missing = [
        ' or '.join(names) for names, _ in REQUIRED_FILES
        if not any((path / name).is_file() for name in names)
    ]
    if missing:
        raise TextModelFolderError(f'{path} lacks {", ".join(missing)}. ' +
                                   folder_help(path, source))
    try:
        config = json.loads((path / 'config.json').read_text(encoding='utf-8'))
    except (OSError, ValueError) as err:
        raise TextModelFolderError(f'{path / "config.json"}: not a readable JSON file ({err}). ' +
                                   folder_help(path, source)) from err
    if not isinstance(config, dict) or 'model_type' not in config:
        raise TextModelFolderError(f'{path / "config.json"} has no "model_type": not a Hugging '
                                   'Face model config. ' + folder_help(path, source))
    return path


def build_hf_text_tower(embed_dim: int, text_cfg: Dict, folder: Optional[Union[str, Path]]):
    """(open_clip ``HFTextEncoder``, ``HFTokenizer``, checked folder) for ``text_cfg``.

    ``text_cfg['hf_model_name']`` names the tower's source model (used in messages);
    the architecture and vocabulary are read from ``folder`` only; weights stay
    random (``hf_model_pretrained`` is forced off) until the caller loads them.
    """
    source = text_cfg.get('hf_model_name') or DEFAULT_HF_SOURCE
    path = check_text_model_folder(folder, source)
    transformers = import_transformers()
    from open_clip.model import _build_text_tower  # pinned open_clip 3.3.0
    from open_clip.tokenizer import HFTokenizer

    config = transformers.AutoConfig.from_pretrained(str(path), local_files_only=True)
    context_length = int(text_cfg.get('context_length', 77))
    max_positions = getattr(config, 'max_position_embeddings', context_length)
    if context_length > max_positions:
        raise ValueError(f'{path / "config.json"}: max_position_embeddings={max_positions} is '
                         f'shorter than the tower\'s context_length={context_length}')
    local_cfg = dict(
        text_cfg, hf_model_name=str(path), hf_tokenizer_name=str(path), hf_model_pretrained=False)
    tower = _build_text_tower(embed_dim, local_cfg)
    tokenizer = HFTokenizer(str(path), context_length=context_length, local_files_only=True)
    return tower, tokenizer, path


def is_hf_text_tower(tower: nn.Module) -> bool:
    from open_clip.hf_model import HFTextEncoder
    return isinstance(tower, HFTextEncoder)


def text_blocks(tower: nn.Module) -> nn.ModuleList:
    """The transformer blocks of a text tower (BERT layers or open_clip resblocks)."""
    if is_hf_text_tower(tower):
        encoder = getattr(tower.transformer, 'encoder', tower.transformer)
        return encoder.layer
    return tower.transformer.resblocks


def text_width(tower: nn.Module) -> int:
    """Token width of a text tower's blocks."""
    if is_hf_text_tower(tower):
        return int(tower.transformer.config.hidden_size)
    return int(tower.width)


def _drop_position_ids(weights: Dict[str, torch.Tensor], key: str,
                       source: Union[str, Path]) -> Dict[str, torch.Tensor]:
    """Remove BERT's ``position_ids`` buffer (saved by transformers < 4.31) after checking it."""
    if key not in weights:
        return weights
    ids = weights[key]
    if not torch.equal(ids.reshape(-1).long(), torch.arange(ids.numel())):
        raise ValueError(f'{source}: {key} is not 0, 1, 2, …: the file is not a BERT text tower '
                         'this loader understands')
    return {k: v for k, v in weights.items() if k != key}


def released_text_weights(text_weights: Dict[str, torch.Tensor],
                          source: Union[str, Path]) -> Dict[str, torch.Tensor]:
    """Released CLIP text keys (prefix already removed) → ``HFTextEncoder`` state dict.

    BiomedCLIP (``text.*``) and UniMedCLIP (``text_encoder.*``) both store
    open_clip's ``HFTextEncoder`` as it is: ``transformer.<BertModel without
    pooler>.*``, ``proj.0.weight`` and ``proj.2.weight`` (the MLP projection).
    Only the ``position_ids`` buffer older transformers saved is dropped.
    """
    return _drop_position_ids(text_weights, POSITION_IDS, source)


def folder_text_weights(folder: Path) -> Optional[Tuple[Path, Dict[str, torch.Tensor]]]:
    """BERT weights stored in the folder, as ``transformer.*`` keys; None without a weights file."""
    from mmseg_ht.utils import load_state_dict_safely
    for name in FOLDER_WEIGHT_FILES:
        path = folder / name
        if path.is_file():
            weights = load_state_dict_safely(path)
            break
    else:
        return None
    if any(k.startswith('bert.') for k in weights):  # BertForPreTraining / BertForMaskedLM files
        weights = {k[len('bert.'):]: v for k, v in weights.items() if k.startswith('bert.')}
    weights = {f'transformer.{k}': v for k, v in weights.items() if not k.startswith('pooler.')}
    return path, _drop_position_ids(weights, POSITION_IDS, path)
