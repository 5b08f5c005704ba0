"""Baseline models: ExternalBackbone (weights rule, freezing) and CLIPSegHead (text-conditioned
decoder)."""
import os

import pytest
import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

import mmseg_ht  # noqa: F401  (registers modules, installs the mmcv.ops stand-in)
from mmseg_ht.models.backbones import ExternalBackbone, PretrainedMismatchError
from mmseg_ht.models.heads import CLIPSegHead
from mmseg_ht.models.text_encoder import OpenCLIPTextEncoder
from mmseg_ht.utils import UnsafeWeightsError

TINY_CLIP = 'mmseg_ht-tiny-vit16'  # bundled: 224 input, 14x14 grid, width 64, text embed 32
TINY_VIT_ARCH = dict(embed_dims=32, num_layers=4, num_heads=2, feedforward_channels=64)

pytestmark = pytest.mark.usefixtures('one_torch_thread')


def vit_cfg(img_size=28, **kwargs):
    """A tiny mmpretrain ViT in the DINOv2 layout (patch 14, layer scale), 2x2 grid at 28 px."""
    cfg = dict(
        type='mmpretrain.VisionTransformer',
        arch=TINY_VIT_ARCH,
        img_size=img_size,
        patch_size=14,
        layer_scale_init_value=1e-5,
        out_type='featmap',
        out_indices=(1, 2))
    cfg.update(kwargs)
    return cfg


def build(backbone=None, **kwargs):
    return MODELS.build(dict(type='ExternalBackbone', backbone=backbone or vit_cfg(), **kwargs))


def checkpoint_of(module, path, prefix='backbone.', extra=None):
    """An mmpretrain-style checkpoint: backbone keys under ``prefix`` plus head keys."""
    state = {prefix + k: v for k, v in module.state_dict().items()}
    state.update(extra or {})
    state['head.fc.weight'] = torch.zeros(2, 32)
    torch.save({'meta': {'note': 'test'}, 'state_dict': state}, path)
    return path


# ------------------------------------------------------------ ExternalBackbone
def test_random_init_warns_loudly_and_outputs_a_tuple():
    with pytest.warns(UserWarning, match='randomly initialised'):
        backbone = build()
    assert isinstance(backbone, ExternalBackbone)
    outs = backbone(torch.rand(2, 3, 28, 28))
    assert isinstance(outs, tuple) and [o.shape for o in outs] == [(2, 32, 2, 2)] * 2


def test_loads_safely_and_strictly_with_prefix_and_ignored_keys(tmp_path):
    source = build()
    # DINOv2 files of mmpretrain hold a 'mask_token' its ViT does not have.
    path = checkpoint_of(
        source.module, tmp_path / 'vit.pth', extra={'backbone.mask_token': torch.zeros(1, 32)})
    loaded = build(pretrained=str(path), prefix='backbone.', ignore_keys=('mask_token', ))
    for key, value in source.module.state_dict().items():
        torch.testing.assert_close(loaded.module.state_dict()[key], value)
    # the runner's init_weights() must not re-initialise loaded weights
    holder = BaseModule()
    holder.backbone = loaded
    holder.init_weights()
    torch.testing.assert_close(loaded.module.pos_embed, source.module.pos_embed)
    # without ignore_keys the extra key is an error naming the file and the key
    with pytest.raises(PretrainedMismatchError) as info:
        build(pretrained=str(path), prefix='backbone.')
    assert str(path) in str(info.value) and 'unexpected keys: mask_token' in str(info.value)


def test_position_embedding_of_another_image_size_is_resized_by_the_inner_module(tmp_path):
    """mmpretrain's ViT resizes a 518-px DINOv2 position embedding on load; here 42 → 28 px."""
    source = build(vit_cfg(img_size=42))
    path = checkpoint_of(source.module, tmp_path / 'vit42.pth')
    loaded = build(pretrained=str(path), prefix='backbone.')
    assert loaded.module.pos_embed.shape == (1, 1 + 2 * 2, 32)
    torch.testing.assert_close(loaded.module.pos_embed[:, 0], source.module.pos_embed[:, 0])


def test_mismatches_name_the_file_and_the_first_keys(tmp_path):
    path = checkpoint_of(build().module, tmp_path / 'vit.pth')
    with pytest.raises(PretrainedMismatchError) as info:  # prefix not stripped
        build(pretrained=str(path))
    assert str(path) in str(info.value) and 'missing keys: cls_token' in str(info.value)
    with pytest.raises(PretrainedMismatchError, match="no key starts with prefix='model.'"):
        build(pretrained=str(path), prefix='model.')
    wide = build(vit_cfg(arch=dict(TINY_VIT_ARCH, embed_dims=48)))
    path = checkpoint_of(wide.module, tmp_path / 'wide.pth')
    with pytest.raises(PretrainedMismatchError) as info:
        build(pretrained=str(path), prefix='backbone.')
    assert str(path) in str(info.value) and 'shape mismatches' in str(info.value)
    assert 'cls_token (1, 1, 48) vs (1, 1, 32)' in str(info.value)
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        build(pretrained=str(tmp_path / 'nope.pth'))


class _Exploit:
    """Unpickling this runs a shell command — what a malicious checkpoint does."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


def test_code_executing_pickle_is_refused(tmp_path):
    marker, path = tmp_path / 'pwned', tmp_path / 'evil.pth'
    torch.save({'state_dict': {'backbone.cls_token': torch.zeros(1)}, 'x': _Exploit(marker)}, path)
    with pytest.raises(UnsafeWeightsError, match='evil.pth'):
        build(pretrained=str(path), prefix='backbone.')
    assert not marker.exists()


def test_frozen_has_no_trainable_parameters_and_stays_in_eval_mode():
    backbone = build(vit_cfg(drop_rate=0.5))
    assert not any(p.requires_grad for p in backbone.parameters())
    backbone.train()
    assert backbone.training and not any(m.training for m in backbone.module.modules())
    x = torch.rand(1, 3, 28, 28)
    torch.testing.assert_close(backbone(x)[0], backbone(x)[0])  # dropout off


def test_trainable_resnet18_follows_train_mode():
    backbone = build(dict(type='mmpretrain.ResNet', depth=18, out_indices=(3, )), frozen=False)
    assert all(p.requires_grad for p in backbone.parameters())
    assert sum(p.numel() for p in backbone.parameters()) == 11_176_512
    backbone.train()
    assert all(m.training for m in backbone.modules())
    (out, ) = backbone(torch.rand(2, 3, 64, 64))
    assert out.shape == (2, 512, 2, 2)
    out.mean().backward()
    assert backbone.module.conv1.weight.grad is not None


# ----------------------------------------------------------------- CLIPSegHead
PROMPTS = ['a breast lesion in an ultrasound image', 'a tumour in a breast ultrasound image']


def build_head(weights, **kwargs):
    cfg = dict(
        type='CLIPSegHead',
        in_channels=(64, 64, 64),
        channels=16,
        num_classes=2,
        text_encoder=dict(arch=TINY_CLIP, pretrained=str(weights)),
        prompts=PROMPTS,
        loss_decode=[
            dict(type='CrossEntropyLoss', loss_weight=1.0),
            dict(type='DiceLoss', use_sigmoid=False, naive_dice=True)
        ])
    cfg.update(kwargs)
    return MODELS.build(cfg)


def test_clipseg_head_output_shape_and_condition_buffer(tiny_clip_weights):
    head = build_head(tiny_clip_weights)
    assert isinstance(head, CLIPSegHead)
    maps = [torch.randn(2, 64, 14, 14) for _ in range(3)]
    assert head(maps).shape == (2, 2, 224, 224)  # 14 x 4 x 4
    # the condition: mean of the L2-normalised prompt embeddings, kept as a saved buffer
    encoder = OpenCLIPTextEncoder(arch=TINY_CLIP, pretrained=str(tiny_clip_weights))
    expected = F.normalize(encoder(PROMPTS), dim=-1).mean(0)
    torch.testing.assert_close(head.text_condition, expected)
    assert 'text_condition' in head.state_dict()
    # the text tower is not kept: no submodule of it, no parameter of it
    assert not any(isinstance(m, OpenCLIPTextEncoder) for m in head.modules())
    assert not any('token_embedding' in name for name in head.state_dict())
    # deepest level first: FiLM after it, then one transformer layer per level
    assert head.film_mul.in_features == 32 and len(head.blocks) == 3


def test_clipseg_decoder_parameters_at_vit_b16_size():
    """CLIPSeg's decoder at reduce_dim 64 on ViT-B/16 (768-wide maps, 512-d text): ~1.1 M."""
    head = MODELS.build(
        dict(type='CLIPSegHead', num_classes=2, text_encoder=dict(arch='ViT-B-16-quickgelu')))
    assert head.text_condition.shape == (512, )
    assert sum(p.numel() for p in head.parameters()) == 1_142_978


def test_only_the_clipseg_head_trains_on_the_frozen_clip_tower(tiny_clip_weights):
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    init_default_scope('mmseg')  # reset after the test by tests/conftest.py
    model = MODELS.build(
        dict(
            type='EncoderDecoder',
            data_preprocessor=dict(type='SegDataPreProcessor', size=(224, 224)),
            backbone=dict(type='CLIPViT', arch=TINY_CLIP, pretrained=str(tiny_clip_weights)),
            decode_head=dict(
                type='CLIPSegHead',
                in_channels=(64, 64, 64),
                channels=16,
                num_classes=2,
                prompts=PROMPTS,
                text_encoder=dict(arch=TINY_CLIP, pretrained=str(tiny_clip_weights)))))
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable and all(n.startswith('decode_head.') for n in trainable)
    sample = SegDataSample(gt_sem_seg=PixelData(data=torch.randint(0, 2, (1, 224, 224))))
    sample.set_metainfo(dict(img_shape=(224, 224), ori_shape=(224, 224)))
    losses = model.loss(torch.rand(1, 3, 224, 224) * 255, [sample])
    loss = sum(v for k, v in losses.items() if k.startswith('decode.loss'))
    loss.backward()
    assert torch.isfinite(loss)
    assert model.decode_head.reduces[0].weight.grad is not None
    assert all(p.grad is None for p in model.backbone.parameters())
