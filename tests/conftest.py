"""Shared pytest fixtures: locations of the optional real data in ../shared/data."""
import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def _initial_default_scopes() -> dict:
    from mmengine.registry import DefaultScope
    return DefaultScope._instance_dict.copy()


_SESSION_SCOPES = _initial_default_scopes()


@pytest.fixture(autouse=True)
def isolated_default_scope():
    """Keep mmengine's default scope (mmseg/mmpretrain) from leaking between tests.

    Tools run in-process (also from module-scoped fixtures) set a global
    DefaultScope; without this a later test that builds mmseg models would
    look them up in mmpretrain's registry. After every test the scopes are
    reset to those that existed when the session started.
    """
    yield
    from mmengine.registry import DefaultScope
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(_SESSION_SCOPES)


@pytest.fixture(scope='module')
def one_torch_thread():
    """Tiny models: one intra-op thread is faster, and far faster on a busy machine.

    Use per module with ``pytestmark = pytest.mark.usefixtures('one_torch_thread')``.
    """
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def shared_data_root() -> Path:
    """Folder with the real ultrasound data used by tests and benchmarks.

    ``MMSEG_HT_SHARED_DATA`` overrides the default ``<repo>/../shared/data``.
    """
    return Path(os.environ.get('MMSEG_HT_SHARED_DATA', REPO_ROOT.parent / 'shared' / 'data'))


@pytest.fixture(scope='session')
def busi_root() -> Path:
    """The original BUSI release (``Dataset_BUSI_with_GT``); skips when absent."""
    root = shared_data_root() / 'Dataset_BUSI_with_GT'
    if not (root / 'benign').is_dir():
        pytest.skip(f'real BUSI data not found at {root} '
                    '(set MMSEG_HT_SHARED_DATA to the folder holding Dataset_BUSI_with_GT)')
    return root


@pytest.fixture(scope='session')
def roco_captions_csv() -> Path:
    """ROCO ultrasound captions CSV; skips when absent."""
    path = shared_data_root() / 'roco_ultrasound_captions' / 'roco_ultrasound_captions_test_val.csv'
    if not path.is_file():
        pytest.skip(f'ROCO caption file not found at {path} (set MMSEG_HT_SHARED_DATA)')
    return path


@pytest.fixture(scope='session')
def tiny_clip_weights(tmp_path_factory) -> Path:
    """A full (image + text) random 'mmseg_ht-tiny-vit16' state dict as safetensors.

    ``logit_scale`` is log 50 (the contrastive tests rely on that value).
    """
    import math

    import open_clip
    import torch
    from safetensors.torch import save_file

    from mmseg_ht.models.backbones.towers import _register_bundled_configs
    _register_bundled_configs()
    torch.manual_seed(0)
    state = open_clip.create_model('mmseg_ht-tiny-vit16').state_dict()
    state['logit_scale'] = torch.tensor(math.log(50.0))
    path = tmp_path_factory.mktemp('weights') / 'tiny_clip.safetensors'
    save_file({k: v.contiguous() for k, v in state.items()}, str(path))
    return path


def run_tool_in_process(script: str, *args: str, data_root) -> None:
    """Run a repo tool's ``__main__`` in this process (faster than a subprocess) with DATA_ROOT.

    Tools end in ``sys.exit(main())``: exit code 0 returns; any other exit code re-raises the
    ``SystemExit`` (the tool printed why to stderr); an exception of the tool propagates.
    """
    import runpy
    import sys
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(REPO_ROOT)
        patch.setenv('DATA_ROOT', str(data_root))
        patch.setattr(sys, 'argv', [script, *args])
        try:
            runpy.run_path(str(REPO_ROOT / script), run_name='__main__')
        except SystemExit as exit_:
            if exit_.code not in (0, None):
                raise


def run_tool(*args: str, env: dict = None, timeout: int = 600):
    """Run a repo tool (``tools/...``) in a subprocess; fail with its output on error."""
    import subprocess
    import sys
    full_env = dict(os.environ, **(env or {}))
    result = subprocess.run([sys.executable, *args],
                            cwd=REPO_ROOT,
                            env=full_env,
                            capture_output=True,
                            text=True,
                            timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f'{" ".join(args)} failed ({result.returncode}):\n'
                             f'{result.stdout[-4000:]}\n{result.stderr[-4000:]}')
    return result


@pytest.fixture(scope='session')
def busi_mini_release(busi_root, tmp_path_factory) -> Path:
    """A 20-image copy of the BUSI release layout (12 benign, 8 malignant, with masks)."""
    import shutil
    root = tmp_path_factory.mktemp('busi_release') / 'Dataset_BUSI_with_GT'
    for label, count in (('benign', 12), ('malignant', 8)):
        (root / label).mkdir(parents=True)
        for n in range(1, count + 1):
            for path in (busi_root / label).glob(f'{label} ({n})*.png'):
                shutil.copy(path, root / label / path.name)
    return root


@pytest.fixture(scope='session')
def busi_mini_converted(busi_mini_release, tmp_path_factory) -> Path:
    """``busi_mini_release`` converted to the mmseg layout by the real converter CLI."""
    out = tmp_path_factory.mktemp('busi_mmseg') / 'busi'
    run_tool('tools/dataset_converters/busi.py', str(busi_mini_release), str(out), '--seed', '0')
    return out
