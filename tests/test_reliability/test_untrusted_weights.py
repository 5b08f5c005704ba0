"""Weight files are untrusted input: a pickle that runs code on load is refused everywhere.

The pretrained image tower loader is tested in tests/test_models/test_clip_vit.py;
here: adapter files (.safetensors and .pth, directly and through the config
key ``adapter_checkpoint``, image and text adapters), pickles disguised as
safetensors or TorchScript archives, the checkpoint check of tools/test.py,
and a static check that every ``torch.load`` in the plugin and its tools
chooses ``weights_only`` itself. tools/test.py and ``--resume`` themselves:
test_interrupted_training.py.
"""
import ast
import pickle
import zipfile
from pathlib import Path

import pytest
import torch
from mmseg.registry import MODELS  # noqa: E402
from reliability_helpers import Exploit  # noqa: E402

import mmseg_ht  # noqa: F401
from mmseg_ht.engine.checkpoint_fit import CheckpointMismatchError  # noqa: E402
from mmseg_ht.engine.checkpoint_fit import (CheckpointReadError, check_checkpoint_fits,
                                            read_checkpoint_state_dict)
from mmseg_ht.utils import UnsafeWeightsError, load_state_dict_safely  # noqa: E402
from tests.tiny_towers import TINY_OPENCLIP_ARCH  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
HT = dict(type='HTAdapter', bottleneck=8)


def backbone(**kwargs):
    return MODELS.build(
        dict(type='CLIPViT', arch=TINY_OPENCLIP_ARCH, out_indices=(1, 3), adapter=HT, **kwargs))


@pytest.fixture
def evil_adapter_pth(tmp_path, marker):
    """A real adapter state dict in a .pth file, plus a code-running payload."""
    weights = {
        f'backbone.{k}': v
        for k, v in backbone().state_dict().items() if k.startswith('adapters.')
    }
    path = tmp_path / 'adapters.pth'
    torch.save({'state_dict': weights, 'meta': Exploit(marker)}, path)
    return path


def test_adapter_pth_with_payload_is_refused_directly_and_through_the_config(evil_adapter_pth):
    with pytest.raises(UnsafeWeightsError, match='adapters.pth: refused'):
        backbone().load_adapters(evil_adapter_pth)
    with pytest.raises(UnsafeWeightsError, match='adapters.pth'):
        backbone(adapter_checkpoint=str(evil_adapter_pth))
    text_encoder = MODELS.build(
        dict(
            type='OpenCLIPTextEncoder',
            arch='mmseg_ht-tiny-vit16',
            adapter=dict(type='LoRAAdapter', rank=2)))
    with pytest.raises(UnsafeWeightsError):
        text_encoder.load_adapters(evil_adapter_pth)


def test_plain_adapter_pth_and_safetensors_still_load(tmp_path):
    source = backbone()
    safetensors_path = source.save_adapters(tmp_path / 'a.safetensors')
    torch.save(
        {
            'state_dict': {
                f'backbone.{k}': v
                for k, v in source.state_dict().items() if k.startswith('adapters.')
            }
        }, tmp_path / 'a.pth')
    for path in (safetensors_path, tmp_path / 'a.pth'):
        assert backbone().load_adapters(path)


def test_pickle_disguised_as_safetensors_is_refused(tmp_path, marker):
    path = tmp_path / 'adapters.safetensors'
    path.write_bytes(pickle.dumps({'w': Exploit(marker)}))
    with pytest.raises(Exception):
        backbone().load_adapters(path)


def test_pickle_disguised_as_torchscript_archive_is_refused(tmp_path, marker):
    """A TorchScript archive whose data.pkl was swapped: TorchScript's unpickler resolves no
    Python."""
    archive = tmp_path / 'real.pt'
    torch.jit.script(torch.nn.Linear(2, 2)).save(str(archive))
    evil = tmp_path / 'ViT-B-16.pt'
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(evil, 'w') as target:
        for name in source.namelist():
            data = source.read(name)
            if name.endswith('/data.pkl'):
                data = pickle.dumps({'weight': Exploit(marker)}, protocol=2)
            target.writestr(name, data)
    with pytest.raises(RuntimeError, match='posix.system|Unknown type'):
        load_state_dict_safely(evil)


def test_checkpoint_check_refuses_payload_unless_trusted(tmp_path, marker):
    model = torch.nn.Linear(2, 2)
    path = tmp_path / 'other_tool.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {'x': Exploit(marker)}}, path)
    with pytest.raises(UnsafeWeightsError, match='--trust-checkpoint'):
        check_checkpoint_fits(model, path)
    assert not marker.exists()
    check_checkpoint_fits(model, path, trusted=True)  # the explicit opt-in unpickles it
    assert marker.exists()
    marker.unlink()


def test_checkpoint_check_names_missing_unexpected_and_reshaped_keys(tmp_path):
    torch.save({'state_dict': {
        'weight': torch.zeros(3, 2),
        'extra': torch.zeros(1)
    }}, tmp_path / 'ckpt.pth')
    with pytest.raises(CheckpointMismatchError) as error:
        check_checkpoint_fits(torch.nn.Linear(2, 2), tmp_path / 'ckpt.pth')
    message = str(error.value)
    assert 'ckpt.pth' in message and '1 missing keys: bias' in message
    assert '1 unexpected keys: extra' in message and 'weight (3, 2) vs (2, 2)' in message
    torch.save({'state_dict': {
        'module.weight': torch.zeros(2, 2),
        'module.bias': torch.zeros(2)
    }}, tmp_path / 'ddp.pth')
    check_checkpoint_fits(torch.nn.Linear(2, 2), tmp_path / 'ddp.pth')  # DDP prefix as mmengine


def test_truncated_or_foreign_checkpoint_is_a_clear_error(tmp_path):
    path = tmp_path / 'iter_4.pth'
    torch.save({'state_dict': torch.nn.Linear(2, 2).state_dict()}, path)
    path.write_bytes(path.read_bytes()[:100])  # a run killed while saving
    with pytest.raises(CheckpointReadError, match='truncated'):
        read_checkpoint_state_dict(path)
    torch.save([1, 2, 3], tmp_path / 'list.pth')
    with pytest.raises(CheckpointReadError, match='not a model checkpoint'):
        read_checkpoint_state_dict(tmp_path / 'list.pth')


def _torch_load_calls(path: Path):
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == 'load' and isinstance(node.func.value, ast.Name)
                and node.func.value.id == 'torch'):
            yield node


def test_every_torch_load_of_the_plugin_chooses_weights_only():
    """No call relies on torch's default (full unpickling before torch 2.6)."""
    files = sorted((REPO / 'mmseg_ht').rglob('*.py')) + sorted((REPO / 'tools').rglob('*.py'))
    calls = 0
    for path in files:
        for call in _torch_load_calls(path):
            calls += 1
            keywords = {k.arg: k.value for k in call.keywords}
            where = f'{path.relative_to(REPO)}:{call.lineno}'
            assert 'weights_only' in keywords, f'{where}: torch.load without weights_only'
            value = keywords['weights_only']
            assert not (isinstance(value, ast.Constant) and value.value is False), where
    assert calls >= 2  # safe_load.py (torch_load_plain: mapped and not)
