"""Config handling shared by tools/train.py and tools/test.py.

Both tools accept mmseg and mmpretrain configs: the toolbox comes from the
config's ``default_scope``, so users need one pair of tools.
"""
import os.path as osp
from typing import Optional

from mmengine.config import Config
from mmengine.logging import print_log

SUPPORTED_SCOPES = ('mmseg', 'mmpretrain')


def load_config(path: str, cfg_options: Optional[dict] = None,
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
        print_log(f"{scheduler['type']}: end {scheduler['end']} -> {max_iters} "
                  '(train_cfg.max_iters)', logger='current')
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


def init_cpu_process_group(cfg: Config, launcher: str) -> bool:
    """Make torchrun work on machines without CUDA: a gloo group, DDP on CPU.

    mmengine 0.10's PyTorch launcher calls ``torch.cuda.set_device`` before
    ``init_process_group`` and wraps the model with ``device_ids=[LOCAL_RANK]``;
    both fail without CUDA. A group started here makes the Runner skip its own
    initialisation, and ``device_ids=None`` is DDP's CPU setting. Returns True
    when a group was started here.
    """
    import torch
    import torch.distributed as dist
    if launcher != 'pytorch' or torch.cuda.is_available() or dist.is_initialized():
        return False
    dist.init_process_group(backend='gloo')
    wrapper = dict(type='MMDistributedDataParallel', broadcast_buffers=False,
                   find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper.update(cfg.get('model_wrapper_cfg') or {})
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    return True


def close_cpu_process_group(started: bool) -> None:
    """Destroy a gloo group that ``init_cpu_process_group`` started.

    Left to interpreter exit, gloo's teardown can abort the process
    ("terminate called without an active exception") after a successful run.
    """
    import torch.distributed as dist
    if started and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
