"""tools/train.py killed mid-run and resumed ends exactly like an uninterrupted run;
tools/test.py, ``--resume`` and ``load_from`` refuse code-carrying checkpoints unless
``--trust-checkpoint`` names them; tools/test.py refuses foreign checkpoints.

Run A trains 4 iterations (checkpoint and validation every 2) uninterrupted.
Run B, same config, is SIGKILLed once its iteration-2 checkpoint is recorded
and continued with ``--resume``; its final weights must equal A's tensor for
tensor and its final validation metrics A's exactly (CPU, one thread, fixed
seed; RNGStateHook restores torch's random state, which mmengine does not).
While B resumes, tools/test.py (and ``--resume``) get a checkpoint carrying a
code-running pickle and a checkpoint of another architecture.
"""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from reliability_helpers import Exploit

from mmseg_ht.datasets.phantom import make_phantom_dataset

REPO = Path(__file__).resolve().parents[2]
CONFIG = 'configs/ht/clip-ht_busi.py'
TINY = [
    'model.backbone.arch=mmseg_ht-tiny-vit16', 'model.decode_head.in_channels=[64,64,64]',
    'model.decode_head.channels=32'
]
LOADERS = [
    f'{loader}.{key}' for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    for key in ('num_workers=0', 'persistent_workers=False')
]
SCHEDULE = [
    'train_cfg.max_iters=4', 'train_cfg.val_interval=2', 'train_dataloader.batch_size=2',
    'default_hooks.checkpoint.interval=2', 'default_hooks.checkpoint.max_keep_ckpts=5',
    'default_hooks.logger.interval=1'
]
DEADLINE_S = 400


def start(tool: str, *args: str, log: Path, env: dict) -> subprocess.Popen:
    handle = open(log, 'w')
    return subprocess.Popen([sys.executable, tool, *args],
                            cwd=REPO,
                            env=env,
                            stdout=handle,
                            stderr=subprocess.STDOUT)


def train_args(work_dir: Path, *extra: str):
    return [
        CONFIG, '--work-dir',
        str(work_dir), *extra, '--cfg-options', *TINY, *LOADERS, *SCHEDULE
    ]


def eval_args(checkpoint: Path, work_dir: Path, *extra: str, config: str = CONFIG):
    return [
        config,
        str(checkpoint), '--work-dir',
        str(work_dir), *extra, '--cfg-options', *TINY, *LOADERS
    ]


def wait(process: subprocess.Popen, deadline: float) -> int:
    return process.wait(timeout=max(1.0, deadline - time.monotonic()))


def last_val_metrics(work_dir: Path) -> dict:
    """The last validation line of the newest run log in ``work_dir``."""
    logs = sorted(work_dir.glob('*/vis_data/scalars.json'))
    assert logs, f'no scalars.json in {work_dir}'
    lines = [json.loads(line) for line in logs[-1].read_text().splitlines()]
    val = [line for line in lines if 'Dice' in line]
    assert val, f'no validation metrics in {logs[-1]}'
    return {k: v for k, v in val[-1].items() if k not in ('data_time', 'time', 'step')}


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp('interrupted')
    data = root / 'phantom'
    make_phantom_dataset(data, num_train=8, num_val=2, num_test=2, size=224, seed=0)
    env = dict(os.environ, DATA_ROOT=str(data), OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    deadline = time.monotonic() + DEADLINE_S
    out = dict(
        root=root,
        a=root / 'A',
        b=root / 'B',
        returncodes={},
        markers={name: root / f'ran_{name}'
                 for name in ('untrusted', 'trusted', 'resume_trusted')})
    processes = []
    try:
        a = start('tools/train.py', *train_args(out['a']), log=root / 'A.log', env=env)
        b = start('tools/train.py', *train_args(out['b']), log=root / 'B.log', env=env)
        processes += [a, b]
        last = out['b'] / 'last_checkpoint'
        while not (last.is_file() and last.read_text().strip().endswith('iter_2.pth')):
            assert b.poll() is None, 'run B ended before its first checkpoint: ' + (
                root / 'B.log').read_text()[-3000:]
            assert time.monotonic() < deadline, 'run B wrote no checkpoint in time'
            time.sleep(0.05)
        b.send_signal(signal.SIGKILL)
        out['returncodes']['B killed'] = wait(b, deadline)
        out['b_had_final'] = (out['b'] / 'iter_4.pth').exists()
        resumed = start(
            'tools/train.py',
            *train_args(out['b'], '--resume'),
            log=root / 'B_resumed.log',
            env=env)
        processes.append(resumed)
        out['returncodes']['A'] = wait(a, deadline)
        assert out['returncodes']['A'] == 0, (root / 'A.log').read_text()[-3000:]

        # A's last checkpoint with a code-running payload next to the weights.
        evil = {}
        for name, marker in out['markers'].items():
            checkpoint = torch.load(out['a'] / 'iter_4.pth', map_location='cpu', weights_only=True)
            checkpoint['meta']['note'] = Exploit(marker)
            evil[name] = root / f'from_a_colleague_{name}.pth'
            torch.save(checkpoint, evil[name])
        checks = {
            'untrusted':
            start(
                'tools/test.py',
                *eval_args(evil['untrusted'], root / 'T_untrusted'),
                log=root / 'untrusted.log',
                env=env),
            'trusted':
            start(
                'tools/test.py',
                *eval_args(evil['trusted'], root / 'T_trusted', '--trust-checkpoint'),
                log=root / 'trusted.log',
                env=env),
            'other_arch':
            start(
                'tools/test.py',
                *eval_args(
                    out['a'] / 'iter_4.pth', root / 'T_lora',
                    config='configs/ht/clip-lora_busi.py'),
                log=root / 'other_arch.log',
                env=env),
            'resume_untrusted':
            start(
                'tools/train.py',
                *train_args(root / 'R', '--resume', str(evil['untrusted'])),
                log=root / 'resume_untrusted.log',
                env=env),
            'load_from_untrusted':
            start(
                'tools/train.py',
                *train_args(root / 'L'),
                f'load_from={evil["untrusted"]}',
                log=root / 'load_from_untrusted.log',
                env=env),
            'resume_trusted':
            start(
                'tools/train.py',
                *train_args(root / 'RT', '--resume', str(evil['resume_trusted']),
                            '--trust-checkpoint'),
                log=root / 'resume_trusted.log',
                env=env),
        }
        processes += list(checks.values())
        out['returncodes']['B resumed'] = wait(resumed, deadline)
        for name, process in checks.items():
            out['returncodes'][name] = wait(process, deadline)
        out['logs'] = {name: (root / f'{name}.log').read_text() for name in checks}
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    return out


def test_killed_run_resumes_to_the_same_weights_and_metrics(runs):
    assert runs['returncodes']['B killed'] == -signal.SIGKILL
    assert not runs['b_had_final'], 'run B finished before it was killed'
    resumed_log = (runs['root'] / 'B_resumed.log').read_text()
    assert runs['returncodes']['B resumed'] == 0, resumed_log[-3000:]
    assert 'resumed epoch: 0, iter: 2' in resumed_log
    a = torch.load(runs['a'] / 'iter_4.pth', map_location='cpu', weights_only=True)
    b = torch.load(runs['b'] / 'iter_4.pth', map_location='cpu', weights_only=True)
    assert a['state_dict'].keys() == b['state_dict'].keys()
    different = [
        k for k in a['state_dict'] if not torch.equal(a['state_dict'][k], b['state_dict'][k])
    ]
    assert not different, f'{len(different)} tensors differ, e.g. {different[:3]}'
    for key in ('optimizer', 'param_schedulers'):
        assert repr(a[key]) == repr(b[key]), key
    assert torch.equal(a['rng_state']['torch_cpu'], b['rng_state']['torch_cpu'])
    metrics_a, metrics_b = last_val_metrics(runs['a']), last_val_metrics(runs['b'])
    assert metrics_a == metrics_b and 'Dice' in metrics_a


def test_checkpoint_with_code_is_refused_by_test_resume_and_load_from(runs):
    """On every supported torch (mmengine's own loader would unpickle it before torch 2.6)."""
    for name in ('untrusted', 'resume_untrusted', 'load_from_untrusted'):
        log = runs['logs'][name]
        assert runs['returncodes'][name] != 0, log[-3000:]
        assert 'UnsafeWeightsError' in log and 'from_a_colleague_untrusted.pth: refused' in log
        assert '--trust-checkpoint' in log
    assert 'Weights only load failed' in runs['logs']['resume_untrusted']
    assert 'metrics written' not in runs['logs']['untrusted']
    assert 'Iter(train)' not in runs['logs']['load_from_untrusted']
    assert not runs['markers']['untrusted'].exists(), 'the payload ran'


def test_trust_checkpoint_is_the_explicit_opt_in(runs):
    """With --trust-checkpoint the file is fully unpickled: the payload runs, the test completes."""
    assert runs['returncodes']['trusted'] == 0, runs['logs']['trusted'][-3000:]
    assert 'metrics written' in runs['logs']['trusted']
    assert runs['markers']['trusted'].exists()
    assert json.loads((runs['root'] / 'T_trusted/test_results.json').read_text())['metrics']
    log = runs['logs']['resume_trusted']
    assert runs['returncodes']['resume_trusted'] == 0, log[-3000:]
    assert 'resumed epoch: 0, iter: 4' in log and runs['markers']['resume_trusted'].exists()


def test_checkpoint_of_another_architecture_is_an_error(runs):
    log = runs['logs']['other_arch']
    assert runs['returncodes']['other_arch'] != 0, log[-3000:]
    assert 'CheckpointMismatchError' in log and 'iter_4.pth does not fit' in log
    assert 'missing keys' in log and 'unexpected keys' in log
    assert 'metrics written' not in log
