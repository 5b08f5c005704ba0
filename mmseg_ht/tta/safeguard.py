"""CollapseGuard: stop test-time adaptation when the predictions collapse.

Entropy minimisation has a trivial optimum: predict one class everywhere
with full confidence. Its first sign is the share of a class among the
predictions (foreground pixels for segmentation, images per class for
classification) drifting far from what the source model predicted on the
same target images. The guard keeps every share within
``[ref / band - slack, ref * band + slack]`` of its reference.
"""
from typing import List, Optional

import torch


class CollapseGuard:
    """Band around the source model's class shares; ``check`` says why they left it."""

    def __init__(self, band: float = 2.0, slack: float = 0.02) -> None:
        if band < 1.0 or slack < 0.0:
            raise ValueError(f'collapse band must be >= 1 and slack >= 0, got {band}, {slack}')
        self.band = float(band)
        self.slack = float(slack)
        self.reference: Optional[torch.Tensor] = None

    def set_reference(self, shares: torch.Tensor) -> None:
        """The class shares of the unadapted model on the monitored target images."""
        self.reference = shares.detach().float().cpu()

    def bounds(self) -> List[tuple]:
        """(low, high) share allowed for every class."""
        if self.reference is None:
            raise RuntimeError('CollapseGuard.set_reference must be called first')
        return [(max(0.0,
                     float(r) / self.band - self.slack), min(1.0,
                                                             float(r) * self.band + self.slack))
                for r in self.reference]

    def check(self, shares: torch.Tensor) -> Optional[str]:
        """None while every share is within its band, else a sentence naming the class."""
        for index, ((low, high), share) in enumerate(zip(self.bounds(), shares.tolist())):
            if not low <= share <= high:
                return (f'class {index} share {share:.3f} left its band [{low:.3f}, {high:.3f}] '
                        f'(source model: {float(self.reference[index]):.3f})')
        return None
