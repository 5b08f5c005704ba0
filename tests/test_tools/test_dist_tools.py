"""tools/dist_train.sh and dist_test.sh with 2 CPU processes (gloo), tiny tower, phantom data."""
import os
import subprocess

from tests.conftest import REPO_ROOT, run_tool

TINY = ['model.backbone.arch=mmseg_ht-tiny-vit16', 'model.decode_head.in_channels=[64,64,64]',
        'model.decode_head.channels=32']
LOADERS = [f'{loader}.{key}' for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
           for key in ('num_workers=0', 'persistent_workers=False', 'dataset.type=PhantomUSDataset')]


def run_script(*args: str, env: dict) -> subprocess.CompletedProcess:
    result = subprocess.run(['bash', *args], cwd=REPO_ROOT, env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def test_two_process_cpu_training_and_testing(tmp_path):
    data = tmp_path / 'phantom'
    run_tool('tools/make_phantom_dataset.py', str(data), '--num-train', '4', '--num-val', '2',
             '--num-test', '2')
    import sys
    env = dict(os.environ, DATA_ROOT=str(data), PYTHON=sys.executable, PORT='29531')
    work = tmp_path / 'work'
    run_script('tools/dist_train.sh', 'configs/ht/clip-ht_busi.py', '2', '--work-dir', str(work),
               '--cfg-options', 'env_cfg.dist_cfg.backend=gloo', *TINY, *LOADERS,
               'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
               'train_dataloader.batch_size=1', 'default_hooks.checkpoint.interval=2', env=env)
    assert (work / 'iter_2.pth').is_file()
    result = run_script('tools/dist_test.sh', 'configs/ht/clip-ht_busi.py', str(work / 'iter_2.pth'),
                        '2', '--work-dir', str(tmp_path / 'test'), '--cfg-options', *TINY, *LOADERS,
                        env=env)
    assert 'n_images: 2' in result.stdout + result.stderr
