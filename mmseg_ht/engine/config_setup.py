"""Config handling shared by tools/train.py and tools/test.py.

Both tools accept mmseg and mmpretrain configs: the toolbox comes from the
config's ``default_scope``, so users need one pair of tools.
"""
import contextlib
import os.path as osp
from typing import Optional

from mmengine.config import Config
from mmengine.logging import print_log

SUPPORTED_SCOPES = ('mmseg', 'mmpretrain')


def load_config(path: str,
                cfg_options: Optional[dict] = None,
                work_dir: Optional[str] = None) -> Config:
    """Read a config, apply ``--cfg-options`` and pick the work dir like mmseg does."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file not found: {path}')
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    scope = cfg.get('default_scope', 'mmseg')
    if scope not in SUPPORTED_SCOPES:
        raise ValueError(f'{path}: default_scope {scope!r} is not one of {SUPPORTED_SCOPES}')
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(path))[0])
    return cfg


def end_schedulers_with_training(cfg: Config) -> None:
    """Clamp iteration-based schedulers that would outlast ``train_cfg.max_iters``.

    A schedule ending after training is always a misconfiguration; this lets
    ``--cfg-options train_cfg.max_iters=N`` give a complete short schedule.
    """
    max_iters = cfg.get('train_cfg', {}).get('max_iters')
    schedulers = cfg.get('param_scheduler') or []
    if isinstance(schedulers, dict):
        schedulers = [schedulers]
    if not max_iters:
        return
    for scheduler in schedulers:
        if scheduler.get('by_epoch', True) or scheduler.get('end', 0) <= max_iters:
            continue
        print_log(
            f"{scheduler['type']}: end {scheduler['end']} -> {max_iters} "
            '(train_cfg.max_iters)',
            logger='current')
        scheduler['end'] = max_iters
        if 'T_max' in scheduler:
            scheduler['T_max'] = max_iters - scheduler.get('begin', 0)


def enable_amp(cfg: Config, dtype: str = 'float16') -> None:
    """Switch the optimizer wrapper to mmengine's AmpOptimWrapper (GPU/NPU only).

    mmengine 0.10's AmpOptimWrapper asserts an accelerator; on a CPU-only
    machine this says so up front instead (and bf16 autocast is slower than
    float32 on CPUs without AMX/AVX-512-BF16, see benchmarks/README.md).
    """
    import torch
    if not torch.cuda.is_available():
        raise RuntimeError(
            '--amp needs a GPU: mmengine\'s AmpOptimWrapper supports gpu/npu/mlu/musa only. '
            'Train without --amp on CPU (testing with test_cfg.fp16=True works on CPU).')
    wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if wrapper == 'AmpOptimWrapper':
        return
    if wrapper != 'OptimWrapper':
        raise ValueError(f'--amp needs OptimWrapper, the config uses {wrapper}')
    cfg.optim_wrapper.type = 'AmpOptimWrapper'
    cfg.optim_wrapper.dtype = dtype
    if dtype == 'float16':
        cfg.optim_wrapper.loss_scale = 'dynamic'


def default_model_wrapper(cfg: Config, training: bool) -> dict:
    """The DDP wrapper config for a distributed run: ``FrozenAwareDDP`` unless set.

    Training decides ``find_unused_parameters`` from the model ('auto', see
    ``mmseg_ht.engine.ddp``) unless the config sets it (top-level, as mmengine reads it);
    testing never backpropagates, so it gets mmengine's plain wrapper. A config's own
    ``model_wrapper_cfg`` is kept as it is.
    """
    if cfg.get('model_wrapper_cfg'):
        return dict(cfg.model_wrapper_cfg)
    if not training:
        return dict(type='MMDistributedDataParallel', broadcast_buffers=False)
    return dict(
        type='FrozenAwareDDP',
        broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', 'auto'))


@contextlib.contextmanager
def _no_cuda_set_device():
    """mmengine 0.10's launchers call ``torch.cuda.set_device``; a no-op without CUDA."""
    import torch
    original = torch.cuda.set_device
    torch.cuda.set_device = lambda device: None
    try:
        yield
    finally:
        torch.cuda.set_device = original


def setup_launcher(cfg: Config, launcher: str, training: bool = True) -> bool:
    """Prepare ``cfg`` for ``--launcher`` (none, pytorch, slurm, mpi); True if a group started.

    Distributed runs get ``default_model_wrapper``. On machines without CUDA the process
    group is started here with gloo, through mmengine's own ``init_dist`` (so torchrun's
    and SLURM's environment variables are read exactly as on GPUs; SLURM's master address
    comes from ``scontrol show hostname``), and DDP gets ``device_ids=None``, its CPU
    setting. A group started here makes the Runner skip its own initialisation.
    """
    import torch
    import torch.distributed as dist
    from mmengine.dist import init_dist
    cfg.launcher = launcher
    if launcher == 'none':
        return False
    cfg.model_wrapper_cfg = default_model_wrapper(cfg, training)
    if torch.cuda.is_available() or dist.is_initialized() or launcher == 'mpi':
        return False
    dist_cfg = dict(cfg.get('env_cfg', {}).get('dist_cfg') or {})
    dist_cfg['backend'] = 'gloo'
    with _no_cuda_set_device():
        init_dist(launcher, **dist_cfg)
    cfg.model_wrapper_cfg['device_ids'] = None
    return True


def close_cpu_process_group(started: bool) -> None:
    """Destroy a gloo group that ``setup_launcher`` started.

    Left to interpreter exit, gloo's teardown can abort the process
    ("terminate called without an active exception") after a successful run.
    """
    import torch.distributed as dist
    if started and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
