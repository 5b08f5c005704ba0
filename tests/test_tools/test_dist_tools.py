"""tools/dist_train.sh as two torchrun "nodes" and dist_test.sh (gloo, CPU, tiny tower, phantom).

One two-node training (NNODES=2, one process each, localhost) and a one-process run with the
same global batch run side by side once per module; the tests read what they recorded.
"""
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT, run_tool

NODE_CONFIG = """
_base_ = [{base!r}]
custom_imports = dict(imports=['mmseg_ht', 'tests.dist_record_hook'], allow_failed_imports=False)
# maps from blocks 2 and 5 of 10: the adapters on blocks 6-9 never run (FrozenAwareDDP's case)
model = dict(
    backbone=dict(arch='mmseg_ht-tiny-vit16', out_indices=(2, 5), adapter=dict(dropout=0.0)),
    decode_head=dict(in_channels=[64, 64], in_index=(0, 1), channels=32, dropout_ratio=0.0))
# no random flip and no dropout: one process and two ranks see the very same computation
pipeline = [dict(type='LoadUltrasoundImage'), dict(type='LoadBinaryMask'),
            dict(type='Resize', scale=(224, 224), keep_ratio=False), dict(type='PackSegInputs')]
loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(batch_size={batch}, sampler=dict(seed=0), **loader,
                        dataset=dict(type='PhantomUSDataset', pipeline=pipeline))
val_dataloader = dict(**loader, dataset=dict(type='PhantomUSDataset'))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=3, val_interval=3)  # distributed validation at the end
default_hooks = dict(checkpoint=dict(interval=3))
custom_hooks = [dict(type='WeightsOnlyCheckpointHook'), dict(type='RNGStateHook'),
                dict(type='RecordRankHook')]
"""


def free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture(scope='module')
def two_node_run(tmp_path_factory):
    """Nodes 0 and 1 (batch 1 each, tools/dist_train.sh) and one process (batch 2, train.py)."""
    root = tmp_path_factory.mktemp('dist')
    data = root / 'phantom'
    run_tool('tools/make_phantom_dataset.py', str(data), '--num-train', '6', '--num-val', '2',
             '--num-test', '2')
    base = str(REPO_ROOT / 'configs/ht/clip-ht_busi.py')
    for batch in (1, 2):
        (root / f'batch{batch}.py').write_text(NODE_CONFIG.format(base=base, batch=batch))
    env = dict(
        os.environ,
        DATA_ROOT=str(data),
        PYTHON=sys.executable,
        OMP_NUM_THREADS='1',
        NNODES='2',
        MASTER_ADDR='127.0.0.1',
        PORT=str(free_port()))
    env.pop('MASTER_PORT', None)
    nodes = [
        subprocess.Popen([
            'bash', 'tools/dist_train.sh',
            str(root / 'batch1.py'), '1', '--work-dir',
            str(root / f'node{rank}')
        ],
                         cwd=REPO_ROOT,
                         env=dict(env, NODE_RANK=str(rank)),
                         stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT,
                         text=True) for rank in (0, 1)
    ]
    run_tool(
        'tools/train.py',
        str(root / 'batch2.py'),
        '--work-dir',
        str(root / 'one'),
        env=dict(DATA_ROOT=str(data), OMP_NUM_THREADS='1'))
    logs = []
    for node in nodes:
        out, _ = node.communicate(timeout=600)
        assert node.returncode == 0, out[-4000:]
        logs.append(out)
    return dict(root=root, data=data, logs=logs)


def test_two_torchrun_nodes_equal_one_process_with_the_same_global_batch(two_node_run):
    """Ranks read disjoint shards; weights equal on both ranks and to the one-process run."""
    import torch
    root = two_node_run['root']
    # FrozenAwareDDP found nothing unused (the adapters on blocks 6-9 are frozen): no flag
    assert 'DDP: find_unused_parameters=False: all ' in two_node_run['logs'][0]
    rank0, rank1 = (torch.load(root / f'node{r}' / f'rank{r}.pt') for r in (0, 1))
    one = torch.load(root / 'one' / 'rank0.pt')
    assert rank0['wrapper'] == 'FrozenAwareDDP' and rank0['find_unused'] is False
    # disjoint shards that together are the one-process batches, sample by sample
    seen0 = [name for names in rank0['seen'] for name in names]
    seen1 = [name for names in rank1['seen'] for name in names]
    assert len(seen0) == len(seen1) == 3 and not set(seen0) & set(seen1)
    assert [[a, b] for a, b in zip(seen0, seen1)] == one['seen']
    trained = [k for k in one['state'] if 'adapters' in k or 'decode_head' in k]
    assert trained
    for key in trained:
        assert torch.equal(rank0['state'][key], rank1['state'][key]), key
        torch.testing.assert_close(
            rank0['state'][key], one['state'][key], rtol=1e-5, atol=1e-6, msg=key)
    # training moved the weights far more than the tolerance
    moved = max((one['state'][k] - one['initial'][k]).abs().max().item() for k in trained)
    assert moved > 1e-4


def test_two_process_testing(two_node_run):
    """tools/dist_test.sh, 2 processes, on the one-process run's checkpoint."""
    root = two_node_run['root']
    env = dict(
        os.environ,
        DATA_ROOT=str(two_node_run['data']),
        PYTHON=sys.executable,
        OMP_NUM_THREADS='1',
        PORT=str(free_port()))
    result = subprocess.run([
        'bash', 'tools/dist_test.sh',
        str(root / 'batch2.py'),
        str(root / 'one' / 'iter_3.pth'), '2', '--work-dir',
        str(root / 'test')
    ],
                            cwd=REPO_ROOT,
                            env=env,
                            capture_output=True,
                            text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert 'n_images: 2' in result.stdout + result.stderr


FAKE_SRUN = """#!/usr/bin/env bash
# stands in for SLURM's srun: one task, SLURM's variables, the command after the options
export SLURM_PROCID=0 SLURM_NTASKS=1 SLURM_LOCALID=0 SLURM_NODELIST='gpu-node[07-08]'
while [[ "$1" == --* ]]; do shift; done
exec "$@"
"""
FAKE_SCONTROL = """#!/usr/bin/env bash
# stands in for `scontrol show hostname NODELIST`: records the call, names node 07 as localhost
echo "$@" >> "$(dirname "$0")/scontrol_calls"
echo 127.0.0.1
"""


def test_slurm_train_prints_usage_without_arguments():
    for script in ('tools/slurm_train.sh', 'tools/slurm_test.sh'):
        result = subprocess.run(['bash', script], cwd=REPO_ROOT, capture_output=True, text=True)
        assert result.returncode == 2 and result.stderr.startswith('usage:'), result.stderr
        assert 'PARTITION JOB_NAME CONFIG' in result.stderr


def test_slurm_launcher_through_slurm_train_sh(two_node_run, tmp_path):
    """tools/slurm_train.sh → fake srun → tools/train.py --launcher=slurm (mmengine's init)."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    for name, text in (('srun', FAKE_SRUN), ('scontrol', FAKE_SCONTROL)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    env = dict(
        os.environ,
        DATA_ROOT=str(two_node_run['data']),
        PYTHON=sys.executable,
        OMP_NUM_THREADS='1',
        PATH=f'{bin_dir}:{os.environ["PATH"]}',
        MASTER_PORT=str(free_port()))
    env.pop('MASTER_ADDR', None)
    work = tmp_path / 'work'
    result = subprocess.run([
        'bash', 'tools/slurm_train.sh', 'gpu', 'ht-busi',
        str(two_node_run['root'] / 'batch2.py'),
        str(work), '--cfg-options', 'train_cfg.max_iters=1', 'train_cfg.val_interval=1',
        'default_hooks.checkpoint.interval=1'
    ],
                            cwd=REPO_ROOT,
                            env=env,
                            capture_output=True,
                            text=True,
                            timeout=600)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-4000:]
    assert 'Distributed launcher: slurm' in log and 'Distributed training: True' in log
    assert (bin_dir /
            'scontrol_calls').read_text().split() == ['show', 'hostname', 'gpu-node[07-08]']
    assert (work / 'iter_1.pth').is_file()
