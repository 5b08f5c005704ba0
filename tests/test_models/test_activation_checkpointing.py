"""CLIPViT(with_cp=True): same outputs and gradients, fewer activations kept for backward."""
import pytest
import torch
from mmseg.registry import MODELS

import mmseg_ht  # noqa: F401
from tests.tiny_towers import TINY_ARCHS

pytestmark = pytest.mark.usefixtures('one_torch_thread')

ADAPTERS = [
    dict(type='HTAdapter', bottleneck=8),
    dict(type='MonaAdapter', bottleneck=8),
    dict(type='LoRAAdapter', rank=4, alpha=8, dropout=0.1)
]


def backbone(arch, adapter, with_cp: bool):
    torch.manual_seed(0)
    model = MODELS.build(
        dict(type='CLIPViT', arch=arch, adapter=adapter, out_indices=(1, 2, 3), with_cp=with_cp))
    return model.train()


def step(model, size: int):
    """Forward (dropout on, same seed) + backward: outputs, gradients, bytes saved for backward."""
    images = torch.rand(2, 3, size, size, generator=torch.Generator().manual_seed(1)) * 255
    images.requires_grad_(True)
    saved = []

    def pack(tensor):
        saved.append(tensor.numel() * tensor.element_size())
        return tensor

    torch.manual_seed(2)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        outs = model(images)
    sum((o * torch.linspace(-1, 1, o.numel()).view_as(o)).sum() for o in outs).backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}
    return outs, grads, images.grad.clone(), sum(saved)


@pytest.mark.parametrize('family', ['openclip', 'timm'])
@pytest.mark.parametrize('adapter', ADAPTERS, ids=lambda a: a['type'])
def test_with_cp_gives_equal_outputs_and_gradients(family, adapter):
    arch, size = TINY_ARCHS[family]
    outs, grads, input_grad, saved = step(backbone(arch, adapter, False), size)
    cp_outs, cp_grads, cp_input_grad, cp_saved = step(backbone(arch, adapter, True), size)
    for a, b in zip(outs, cp_outs):
        torch.testing.assert_close(a, b)
    assert grads.keys() == cp_grads.keys() and len(grads) > 0
    for name in grads:
        torch.testing.assert_close(grads[name], cp_grads[name], msg=name)
    torch.testing.assert_close(input_grad, cp_input_grad)
    # the checkpointed blocks keep only their inputs (measured when the graph is recorded)
    assert cp_saved < 0.6 * saved, (cp_saved, saved)


def test_with_cp_is_off_by_default_and_skipped_without_grad():
    arch, size = TINY_ARCHS['openclip']
    model = MODELS.build(dict(type='CLIPViT', arch=arch, out_indices=(1, 3)))
    assert model.with_cp is False
    cp_model = backbone(arch, ADAPTERS[0], True).eval()
    calls = []
    block = cp_model.family.blocks(cp_model.tower)[3]
    block.register_forward_pre_hook(lambda *args: calls.append(1))
    with torch.no_grad():
        cp_model(torch.rand(1, 3, size, size) * 255)
    assert len(calls) == 1  # inference: no checkpoint, no recomputation
    calls.clear()
    sum(o.sum() for o in cp_model(torch.rand(1, 3, size, size) * 255)).backward()
    assert len(calls) == 2  # training: forward + recomputation in the backward
