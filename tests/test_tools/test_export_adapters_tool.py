"""tools/export_adapters.py on a segmentation checkpoint: the right file, and no mmpretrain import.

Segmentation users do not install or import mmpretrain's models through mmseg_ht
(``mmseg_ht/__init__.py``); exporting their adapters must not import it either.
The tool runs in a fresh interpreter, which then reports ``sys.modules``.
"""
import subprocess
import sys
from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS

import mmseg_ht  # noqa: F401  (registrations)

REPO = Path(__file__).resolve().parents[2]
CONFIG = 'configs/ht/clip-ht_busi.py'
TINY = [
    'model.backbone.arch=mmseg_ht-tiny-vit16', 'model.decode_head.in_channels=[64,64,64]',
    'model.decode_head.channels=32'
]
# Runs the tool as ``python tools/export_adapters.py ...`` would, then reports what it imported.
RUN_AND_REPORT = '''import runpy, sys
sys.argv = sys.argv[1:]
status = 0
try:
    runpy.run_path(sys.argv[0], run_name='__main__')
except SystemExit as exit_:
    status = exit_.code
for name in ('mmpretrain', 'mmseg_ht.classification', 'mmseg_ht.contrastive'):
    print(f'imported {name}:', name in sys.modules)
sys.exit(status)
'''


def test_segmentation_export_writes_the_adapters_and_never_imports_mmpretrain(tmp_path):
    cfg = Config.fromfile(str(REPO / CONFIG))
    cfg.model.backbone.arch = 'mmseg_ht-tiny-vit16'  # as TINY does on the command line
    cfg.model.decode_head.update(in_channels=[64, 64, 64], channels=32)
    with DefaultScope.overwrite_default_scope('mmseg'):
        segmentor = MODELS.build(cfg.model)
    with torch.no_grad():
        for param in segmentor.backbone.adapter_state_dict().values():
            param.add_(0.1 * torch.randn_like(param))
    checkpoint = tmp_path / 'iter_2.pth'
    torch.save(dict(meta=dict(iter=2), state_dict=segmentor.state_dict()), checkpoint)
    out = tmp_path / 'clip-ht_busi.safetensors'
    result = subprocess.run([
        sys.executable, '-c', RUN_AND_REPORT, 'tools/export_adapters.py', CONFIG,
        str(checkpoint),
        str(out), '--cfg-options', *TINY
    ],
                            cwd=REPO,
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for name in ('mmpretrain', 'mmseg_ht.classification', 'mmseg_ht.contrastive'):
        assert f'imported {name}: False' in result.stdout, result.stdout[-3000:]
    from safetensors.torch import load_file
    exported = load_file(str(out))
    expected = segmentor.backbone.adapter_state_dict()
    assert set(exported) == set(expected) and len(expected) > 0
    assert all(torch.equal(exported[k], v) for k, v in expected.items())
    assert not (tmp_path / 'clip-ht_busi_text.safetensors').exists()
