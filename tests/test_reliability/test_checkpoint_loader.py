"""mmengine's own checkpoint entry points read weights-only on every supported torch.

``Runner.load_checkpoint``/``resume``, ``load_checkpoint`` and
``init_cfg=dict(type='Pretrained')`` all end in mmengine's ``CheckpointLoader``;
mmseg_ht registers its local-file loader there (on torch < 2.6 mmengine's
would unpickle in full). The tools themselves: test_interrupted_training.py.
"""
import pytest
import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmengine.runner.checkpoint import CheckpointLoader, _load_checkpoint, load_checkpoint
from reliability_helpers import Exploit  # noqa: E402

import mmseg_ht  # noqa: F401  (registers the loaders)
from mmseg_ht.engine import trust  # noqa: E402
from mmseg_ht.utils import UnsafeWeightsError  # noqa: E402


@pytest.fixture
def evil_checkpoint(tmp_path, marker):
    path = tmp_path / 'other_tool.pth'
    torch.save({'state_dict': nn.Linear(2, 2).state_dict(), 'meta': {'x': Exploit(marker)}}, path)
    return path


@pytest.fixture
def no_trust():
    yield
    trust._TRUSTED.clear()


class Pretrained(BaseModule):

    def __init__(self, checkpoint: str) -> None:
        super().__init__(init_cfg=dict(type='Pretrained', checkpoint=checkpoint))
        self.fc = nn.Linear(2, 2)


def test_every_mmengine_entry_point_refuses_a_payload(evil_checkpoint):
    assert CheckpointLoader._get_checkpoint_loader(str(evil_checkpoint)).__module__ == \
        'mmseg_ht.engine.checkpoint_loader'
    with pytest.raises(UnsafeWeightsError, match='other_tool.pth: refused.*--trust-checkpoint'):
        _load_checkpoint(str(evil_checkpoint), map_location='cpu')
    with pytest.raises(UnsafeWeightsError):
        load_checkpoint(nn.Linear(2, 2), str(evil_checkpoint))
    with pytest.raises(UnsafeWeightsError):
        Pretrained(str(evil_checkpoint)).init_weights()


def test_trust_is_given_to_one_file_only(evil_checkpoint, tmp_path, marker, no_trust):
    copy = tmp_path / 'copy.pth'
    copy.write_bytes(evil_checkpoint.read_bytes())
    trust.trust_checkpoint(str(evil_checkpoint))
    with pytest.raises(UnsafeWeightsError):
        _load_checkpoint(str(copy))
    assert not marker.exists()
    checkpoint = _load_checkpoint(str(evil_checkpoint), map_location='cpu')
    assert marker.exists() and checkpoint['state_dict']['weight'].shape == (2, 2)
    marker.unlink()


def test_plain_checkpoints_load_with_weights_and_map_location(tmp_path):
    model = nn.Linear(2, 2)
    path = tmp_path / 'iter_2.pth'
    torch.save(
        {
            'state_dict': model.state_dict(),
            'meta': {
                'iter': 2,
                'seed': 0
            },
            'message_hub': {
                'log_scalars': {
                    'loss': {
                        'log_history': [0.5, 0.25]
                    }
                }
            }
        }, path)
    checkpoint = _load_checkpoint(str(path), map_location=lambda storage, location: storage)
    assert checkpoint['meta'] == {'iter': 2, 'seed': 0}
    target = nn.Linear(2, 2)
    load_checkpoint(target, str(path))
    assert torch.equal(target.weight, model.weight)
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        _load_checkpoint(str(tmp_path / 'missing.pth'))


def test_torchscript_archive_is_not_loaded_as_a_checkpoint(tmp_path):
    """torch < 2.6 passes TorchScript archives to torch.jit.load even when weights_only=True."""
    path = tmp_path / 'scripted.pth'
    torch.jit.script(nn.Linear(2, 2)).save(str(path))
    with pytest.raises(UnsafeWeightsError, match='TorchScript archive'):
        _load_checkpoint(str(path))


@pytest.mark.parametrize('address', [
    'https://example.com/model.pth', 'open-mmlab://resnet50_v1c', 'torchvision://resnet18',
    's3://bucket/model.pth'
])
def test_remote_checkpoints_are_never_fetched(address):
    with pytest.raises(RuntimeError, match='never downloads'):
        _load_checkpoint(address)


def test_train_tool_trusts_the_resume_or_load_from_file(evil_checkpoint, tmp_path, no_trust):
    """``tools/train.py --trust-checkpoint``: the explicit path, or the work dir's latest."""
    from mmengine.config import Config
    work_dir = tmp_path / 'work'
    work_dir.mkdir()
    with pytest.raises(ValueError, match='no checkpoint to trust'):
        trust.trust_run_checkpoint(
            Config(dict(resume=True, load_from=None, work_dir=str(work_dir))))
    (work_dir / 'last_checkpoint').write_text(str(evil_checkpoint))
    trust.trust_run_checkpoint(Config(dict(resume=True, load_from=None, work_dir=str(work_dir))))
    assert trust.is_trusted(str(evil_checkpoint))
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        trust.trust_run_checkpoint(
            Config(
                dict(resume=True, load_from=str(tmp_path / 'missing.pth'), work_dir=str(work_dir))))
