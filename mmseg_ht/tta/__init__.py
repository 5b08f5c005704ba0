"""Test-time adaptation (TTA): adapt adapters and norms to unlabelled target images.

``TestTimeAdapter`` aligns the per-channel statistics of the backbone's feature maps on the
target images with those measured on the source images (``SourceStatistics``), plus a
horizontal-flip consistency term (and, optionally, prediction entropy), updating only
adapter and normalisation parameters, and stops (restoring the source weights) when a
``CollapseGuard`` sees a class vanish from the predictions or the features drift away.
``tools/tta.py`` runs it on a checkpoint and tests before and after.
"""
from .adapter import TestTimeAdapter, TTAReport, TTASettingsError
from .objective import class_shares, tta_loss
from .parameters import select_tta_parameters
from .safeguard import CollapseGuard
from .statistics import SourceStatistics, alignment_loss, channel_moments

__all__ = [
    'CollapseGuard', 'SourceStatistics', 'TTAReport', 'TTASettingsError', 'TestTimeAdapter',
    'alignment_loss', 'channel_moments', 'class_shares', 'select_tta_parameters', 'tta_loss'
]
