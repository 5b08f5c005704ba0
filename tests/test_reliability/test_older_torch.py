"""What the older supported torch (2.1) needs: bf16 CPU training without an abort, and a
clear import error below the supported range.

torch 2.1.2's CPU flash-attention backward in bf16 aborts the interpreter with
two or more threads; the training step runs in a subprocess with two threads,
so an abort fails this test instead of killing the test session.
"""
import contextlib
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

from mmseg_ht.compat import torch_versions
from tests.test_reliability.reliability_helpers import REPO

BF16_STEP = '''
import torch
import mmseg_ht
from mmseg.registry import MODELS
from tests.tiny_towers import TINY_OPENCLIP_ARCH
torch.set_num_threads(2)
torch.manual_seed(0)
model = MODELS.build(dict(type='CLIPViT', arch=TINY_OPENCLIP_ARCH, out_indices=(1, 3),
                          adapter=dict(type='HTAdapter', bottleneck=8), with_cp=WITH_CP))
with torch.no_grad():  # trained-looking adapters
    for param in model.parameters():
        if param.requires_grad:
            param.add_(0.05 * torch.randn_like(param))
images = torch.rand(4, 3, 32, 32) * 255
with torch.autocast('cpu', dtype=torch.bfloat16):
    outputs = model(images)
loss = sum(o.float().square().mean() for o in outputs)
loss.backward()
grads = [p.grad for p in model.parameters() if p.requires_grad]
assert grads and all(g is not None and torch.isfinite(g).all() for g in grads)
print('bf16 step done, loss', float(loss))
'''


@pytest.mark.parametrize('with_cp', [False, True])  # checkpointing recomputes in backward
def test_bf16_training_step_with_two_threads_does_not_abort(with_cp):
    script = f'WITH_CP = {with_cp}' + BF16_STEP
    result = subprocess.run([sys.executable, '-c', script],
                            cwd=REPO,
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'bf16 step done' in result.stdout


def _attention_backward(dtype_autocast: bool) -> str:
    query = torch.randn(2, 2, 17, 16, requires_grad=True)
    with torch.autocast('cpu', dtype=torch.bfloat16, enabled=dtype_autocast):
        with torch_versions.attention_guard(query):
            out = F.scaled_dot_product_attention(query, query, query)
    return out.grad_fn.name()


def test_attention_guard_avoids_flash_only_where_the_old_kernel_breaks():
    guarded = _attention_backward(dtype_autocast=True)
    if torch_versions.torch_version() < torch_versions.FLASH_CPU_BF16_BACKWARD_FIXED:
        assert 'Flash' not in guarded, guarded
    no_op = contextlib.nullcontext
    with torch.no_grad():  # inference records no graph: nothing to avoid
        assert isinstance(torch_versions.attention_guard(torch.zeros(1)), no_op)
    assert isinstance(torch_versions.attention_guard(torch.zeros(1, requires_grad=True)),
                      no_op)  # fp32: untouched


def test_torch_older_than_supported_is_a_clear_import_error(monkeypatch):
    monkeypatch.setattr(torch, '__version__', '2.0.1+cu118')
    with pytest.raises(ImportError, match=r'needs torch >= 2\.1, found 2\.0\.1\+cu118'):
        torch_versions.check_torch_version()
    monkeypatch.setattr(torch, '__version__', '2.1.2')
    torch_versions.check_torch_version()
