"""A "pretrained" tiny tower for the head-only and LoRA learning tests.

Head-only and LoRA leave the tower's features as they are; on a randomly initialised tower
those features hold no lesion information (a per-token linear probe on the 64-px phantom
scores 3 % Dice), so those two methods can only be shown learning on a tower whose features
mean something — as CLIP's do. This trains the whole tiny tower plus a 1x1 classifier, as a
plain PyTorch loop, on a *separate* phantom (other seed, no image shared with the test task),
and saves its image-tower weights as open_clip ``visual.*`` safetensors for ``pretrained=``.
"""
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from mmseg_ht.evaluation.reference_scores import iter_split
from mmseg_ht.models.backbones.towers import build_image_tower
from mmseg_ht.models.losses import dice_ce_loss

CLIP_MEAN = torch.tensor([0.48145466, 0.4578275, 0.40821073]).view(1, 3, 1, 1) * 255
CLIP_STD = torch.tensor([0.26862954, 0.26130258, 0.27577711]).view(1, 3, 1, 1) * 255


def pretrain_tiny_tower(arch: dict,
                        data_root: Path,
                        out_path: Path,
                        iters: int = 150,
                        seed: int = 0) -> Path:
    """Train ``arch``'s image tower + a classifier on ``data_root``/train; save ``visual.*``."""
    from safetensors.torch import save_file
    torch.manual_seed(seed)
    samples = list(iter_split(data_root, 'train'))
    images = torch.from_numpy(np.stack([s[1] for s in samples])).float()[:, None].repeat(1, 3, 1, 1)
    masks = torch.from_numpy(np.stack([s[2] for s in samples])).long()
    tower = build_image_tower(arch)
    width = arch['vision_cfg']['width']
    classifier = torch.nn.Conv2d(width, 2, 1)
    params = list(tower.parameters()) + list(classifier.parameters())
    optimizer = torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01)
    generator = torch.Generator().manual_seed(seed)
    depth = arch['vision_cfg']['layers']
    for _ in range(iters):
        index = torch.randint(0, len(images), (8, ), generator=generator)
        x = (images[index] - CLIP_MEAN) / CLIP_STD
        maps = tower.forward_intermediates(
            x, indices=[depth - 1], output_fmt='NCHW',
            intermediates_only=True)['image_intermediates'][0]
        logits = F.interpolate(classifier(maps), size=x.shape[2:], mode='bilinear')
        loss = dice_ce_loss(logits, masks[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    state = {f'visual.{k}': v.detach().contiguous() for k, v in tower.state_dict().items()}
    save_file(state, str(out_path))
    return out_path
