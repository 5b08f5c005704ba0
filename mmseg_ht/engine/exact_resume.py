"""Resume that continues a run exactly where it stopped (same weights, same metrics).

What mmengine already restores on ``--resume``: model, optimizer, parameter
schedulers, iteration counter and seed; ``IterBasedTrainLoop`` replays the
data loader up to the resumed iteration, so the ``InfiniteSampler`` order and
the numpy draws of the augmentations (``RandomFlip``) repeat exactly, in the
main process (``num_workers=0``) and in workers (seeded by mmengine).

What it does not restore is the **torch random state of the main process**:
after a resume it is the freshly seeded state, not the state the interrupted
run had reached, so dropout (the HT adapter's, p=0.1) draws different masks
and the resumed run drifts from the uninterrupted one. ``RNGStateHook``

* stores torch's CPU (and CUDA) generator states in every checkpoint
  (plain uint8 tensors: the checkpoint stays weights-only loadable);
* restores them just before the first training iteration after a resume
  (after mmengine's replay of the data loader);
* keeps validation from consuming training randomness: the data loader
  iterator of each validation run draws a seed from the global generator,
  so the hook puts the generator back after validation.

With it, a run killed at any point and resumed from its last checkpoint ends
with the same weights and metrics as an uninterrupted run (same device, same
number of threads; tests/test_reliability/test_interrupted_training.py).
Limits: a different number of data loader workers, GPUs or CPU threads
changes the arithmetic or the sample order, so results then differ (as they
would between two uninterrupted runs).
"""
from typing import List, Optional

import torch
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

RNG_KEY = 'rng_state'


def capture_rng_state() -> dict:
    """torch's global generator states (CPU, and every initialised CUDA device)."""
    state = {'torch_cpu': torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['torch_cuda'] = list(torch.cuda.get_rng_state_all())
    return state


def restore_rng_state(state: dict) -> None:
    """Inverse of ``capture_rng_state`` (CUDA part only when the device count matches)."""
    torch.set_rng_state(state['torch_cpu'])
    cuda: Optional[List[torch.Tensor]] = state.get('torch_cuda')
    if cuda and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda)


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Checkpoint and restore torch's random state so that resumed runs are exact."""

    priority = 'VERY_HIGH'  # stash before (and restore after) every other val hook

    def __init__(self) -> None:
        self._pending: Optional[dict] = None  # state to restore at the next train iteration
        self._pending_iter: Optional[int] = None
        self._before_val: Optional[dict] = None  # training state while validation runs

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        # A best-checkpoint saved during validation records the training state.
        checkpoint[RNG_KEY] = self._before_val or capture_rng_state()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        state = checkpoint.get(RNG_KEY)
        if isinstance(state, dict) and isinstance(state.get('torch_cpu'), torch.Tensor):
            self._pending = state
            self._pending_iter = checkpoint.get('meta', {}).get('iter')

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        # Only a resume continues at the checkpoint's iteration (load_from starts at 0).
        if self._pending is not None and runner.iter == self._pending_iter:
            restore_rng_state(self._pending)
        self._pending = None

    def before_val(self, runner) -> None:
        self._before_val = capture_rng_state()

    def after_val(self, runner) -> None:
        if self._before_val is not None:
            restore_rng_state(self._before_val)
        self._before_val = None
