"""Test-time adaptation (TTA): adapt adapters and norms to unlabelled target images.

``TestTimeAdapter`` minimises prediction entropy plus a horizontal-flip
consistency term on the target images, updating only adapter and
normalisation parameters, and stops (restoring the last good weights) when
a ``CollapseGuard`` sees the predicted class shares leave their band.
``tools/tta.py`` runs it on a checkpoint and tests before and after.
"""
from .adapter import TestTimeAdapter, TTAReport
from .objective import class_shares, tta_loss
from .parameters import select_tta_parameters
from .safeguard import CollapseGuard

__all__ = [
    'CollapseGuard', 'TTAReport', 'TestTimeAdapter', 'class_shares', 'select_tta_parameters',
    'tta_loss'
]
