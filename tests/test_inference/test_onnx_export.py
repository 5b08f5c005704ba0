"""HT's spectral filter as DFT matrices, and the whole segmentor through ONNX / onnxruntime."""
import pytest
import torch

from mmseg_ht.inference.onnx_export import (compare_with_pytorch, export_onnx, exportable_copy,
                                            onnx_metadata, random_inputs)
from mmseg_ht.inference.spectral_dft import DFTFrequencyFilter
from mmseg_ht.models.adapters.ht_layers import FrequencyFilter

pytestmark = pytest.mark.usefixtures('one_torch_thread')


@pytest.mark.parametrize('grid', [(14, 14), (5, 7), (7, 4), (3, 2), (1, 1)])
@pytest.mark.parametrize('mode', ['spectral', 'channel'])
def test_dft_filter_equals_the_fft_filter(grid, mode):
    torch.manual_seed(0)
    fft_filter = FrequencyFilter(6, grid, mode)
    with torch.no_grad():
        fft_filter.weight.uniform_(-2.0, 2.0)  # not Hermitian-symmetric over rows
    x = torch.randn(3, 6, *grid)
    dft_filter = DFTFrequencyFilter(fft_filter)
    assert dft_filter.weight is fft_filter.weight
    assert (dft_filter(x) - fft_filter(x)).abs().max() < 1e-5


def test_exportable_copy_keeps_the_model_and_its_outputs(tiny_ht_segmentor):
    copy, replaced = exportable_copy(tiny_ht_segmentor)
    assert replaced == 10  # one HT adapter per block of the 10-block tiny tower
    assert not any(isinstance(m, FrequencyFilter) for m in copy.modules())
    assert sum(isinstance(m, FrequencyFilter) for m in tiny_ht_segmentor.modules()) == 10
    inputs = random_inputs(2, (224, 224))
    metas = [dict(img_shape=(224, 224), ori_shape=(224, 224), pad_shape=(224, 224))]
    with torch.no_grad():
        expected = tiny_ht_segmentor.eval().inference(inputs, metas)
        actual = copy.inference(inputs, metas)
    assert (actual - expected).abs().max() < 1e-5


def test_onnx_runtime_matches_pytorch_on_the_tiny_ht_segmentor(tiny_ht_segmentor, tmp_path):
    path = tmp_path / 'tiny_ht.onnx'
    export_onnx(tiny_ht_segmentor, path, metadata=dict(config='configs/ht/clip-ht_busi.py'))
    for batch in (1, 3):  # the batch axis is dynamic
        difference = compare_with_pytorch(path, tiny_ht_segmentor, random_inputs(batch, (224, 224)))
        assert difference <= 1e-4, difference
    meta = onnx_metadata(path)
    assert meta['config'] == 'configs/ht/clip-ht_busi.py'
    assert meta['spectral_filters_as_dft'] == '10'
    assert 'RGB 0..255' in meta['input']
