"""The unsupervised test-time objective and the prediction statistics the safeguard watches."""
from typing import Tuple

import torch


def flip_logits(model, inputs: torch.Tensor, data_samples) -> Tuple[torch.Tensor, torch.Tensor]:
    """Logits of the images and of their mirror images (mirrored back for dense outputs)."""
    logits = model(inputs, data_samples, mode='tensor')
    flipped = model(inputs.flip(-1), data_samples, mode='tensor')
    if logits.ndim == 4:  # segmentation (B, C, h, w): map the mirror's pixels back
        flipped = flipped.flip(-1)
    return logits, flipped


def entropy(probabilities: torch.Tensor) -> torch.Tensor:
    """Mean Shannon entropy over the class dimension (dim 1), in nats."""
    return -(probabilities * probabilities.clamp_min(1e-8).log()).sum(1).mean()


def tta_loss(logits: torch.Tensor,
             flipped: torch.Tensor,
             flip_weight: float = 1.0) -> Tuple[torch.Tensor, torch.Tensor]:
    """Entropy of both views + ``flip_weight`` x squared difference of their probabilities.

    Returns (loss, entropy): entropy minimisation (Tent) sharpens the
    predictions; the flip term keeps them equivariant, which entropy alone
    does not.
    """
    p, q = logits.softmax(1), flipped.softmax(1)
    sharpness = 0.5 * (entropy(p) + entropy(q))
    consistency = (p - q).pow(2).sum(1).mean()
    return sharpness + flip_weight * consistency, sharpness.detach()


def class_shares(logits: torch.Tensor) -> torch.Tensor:
    """Share of each class among the hard predictions (pixels or images), shape (C,)."""
    labels = logits.argmax(1).flatten()
    return torch.bincount(labels, minlength=logits.shape[1]).float() / labels.numel()
