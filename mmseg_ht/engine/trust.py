"""The explicit opt-in for checkpoints that need a full (code-executing) unpickle.

mmseg_ht's own checkpoints never need it (``WeightsOnlyCheckpointHook``).
Checkpoints written by other mmengine tools contain Python objects; a user
who trusts such a file passes ``--trust-checkpoint``. That sets torch's
``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` for this process, which only affects
``torch.load`` calls that do not choose ``weights_only`` themselves: every
pretrained-weight and adapter loader of mmseg_ht passes ``weights_only=True``
and stays safe.
"""
import os
from pathlib import Path

from mmengine.logging import print_log


def check_checkpoint_file(path: str) -> None:
    """A clear error for a missing checkpoint, before any model is built."""
    if not Path(path).is_file():
        raise FileNotFoundError(
            f'checkpoint not found: {path}. Pass the .pth file a training run wrote '
            '(e.g. work_dirs/<config>/best_Dice_iter_N.pth).')


def allow_full_unpickling(path: str) -> None:
    """Let mmengine unpickle ``path`` fully (the user vouched for it)."""
    os.environ['TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'] = '1'
    print_log(f'--trust-checkpoint: {path} will be fully unpickled; only do this for '
              'files you trust (unpickling can run code).', logger='current', level=30)
