"""CollapseGuard: stop test-time adaptation when the predictions collapse.

Entropy minimisation has a trivial optimum: predict one class everywhere with full
confidence. Its sign is a class vanishing from the predictions — the share of foreground
pixels (segmentation) or of images per class (classification) falling far below what the
unadapted model predicted on the same target images and, when known, what the source model
predicted on its own images. The guard keeps every share at or above ``reference / band``,
the reference being the lower of the two: a shift that made the source model put every
target image into one class must not forbid adaptation from bringing the other class
back. Only the fall is bounded: a rare class *growing* is what adaptation is for when the
shift made the source model miss it (and with two classes the majority class growing is
the minority falling, which the bound catches). A purely
relative bound also sees a 2 % foreground vanish, which an absolute slack would hide.
"""
from typing import List, Optional

import torch


class CollapseGuard:
    """Floor at ``reference / band`` under every class share; ``check`` names a class below it."""

    def __init__(self, band: float = 3.0) -> None:
        if band < 1.0:
            raise ValueError(f'collapse band must be >= 1, got {band}')
        self.band = float(band)
        self.reference: Optional[torch.Tensor] = None

    def set_reference(self,
                      shares: torch.Tensor,
                      source_shares: Optional[torch.Tensor] = None) -> None:
        """The class shares of the unadapted model on the monitored target images (and, if
        given, on the source images); the lower of the two counts."""
        self.reference = shares.detach().float().cpu()
        if source_shares is not None:
            if source_shares.numel() != self.reference.numel():
                raise ValueError(f'{source_shares.numel()} source class shares for a model with '
                                 f'{self.reference.numel()} classes')
            self.reference = torch.minimum(self.reference, source_shares.detach().float().cpu())

    def floors(self) -> List[float]:
        """The lowest share allowed for every class."""
        if self.reference is None:
            raise RuntimeError('CollapseGuard.set_reference must be called first')
        return [float(r) / self.band for r in self.reference]

    def check(self, shares: torch.Tensor) -> Optional[str]:
        """None while every share is at or above its floor, else a sentence naming the class."""
        for index, (floor, share) in enumerate(zip(self.floors(), shares.tolist())):
            if share < floor:
                return (f'class {index} share {share:.4f} fell below {floor:.4f} (reference '
                        f'share {float(self.reference[index]):.4f} / band {self.band:g})')
        return None
