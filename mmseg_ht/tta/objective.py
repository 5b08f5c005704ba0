"""The prediction terms of the test-time objective and the statistics the safeguard watches.

The feature-alignment term lives in ``statistics.py``.
"""
from typing import Tuple

import torch


def mirrored_logits(model, inputs: torch.Tensor, data_samples) -> torch.Tensor:
    """Logits of the mirror images (mirrored back for dense outputs, to match the originals)."""
    flipped = model(inputs.flip(-1), data_samples, mode='tensor')
    return flipped.flip(-1) if flipped.ndim == 4 else flipped  # (B, C, h, w): pixels back


def entropy(probabilities: torch.Tensor) -> torch.Tensor:
    """Mean Shannon entropy over the class dimension (dim 1), in nats."""
    return -(probabilities * probabilities.clamp_min(1e-8).log()).sum(1).mean()


def tta_loss(logits: torch.Tensor,
             flipped: torch.Tensor,
             flip_weight: float = 1.0,
             entropy_weight: float = 1.0) -> Tuple[torch.Tensor, torch.Tensor]:
    """``entropy_weight`` x entropy of both views + ``flip_weight`` x squared difference of
    their probabilities; returns (loss, entropy).

    Entropy minimisation (Tent) sharpens the predictions; the flip term keeps them
    equivariant, which entropy alone does not. On rare-foreground segmentation entropy
    minimisation shrinks the foreground (docs/en/beyond_paper.md), hence its weight.
    """
    p, q = logits.softmax(1), flipped.softmax(1)
    sharpness = 0.5 * (entropy(p) + entropy(q))
    consistency = (p - q).pow(2).sum(1).mean()
    return entropy_weight * sharpness + flip_weight * consistency, sharpness.detach()


def class_shares(logits: torch.Tensor) -> torch.Tensor:
    """Share of each class among the hard predictions (pixels or images), shape (C,)."""
    labels = logits.argmax(1).flatten()
    return torch.bincount(labels, minlength=logits.shape[1]).float() / labels.numel()
