"""Lesion probability maps for arbitrary images from an mmseg_ht config and a model.

Preprocessing is the config's own test pipeline (its file loader replaced by mmseg's
array loader, as ``MMSegInferencer`` does; its mask loader dropped) and data preprocessor,
so an image is prepared exactly as in ``tools/test.py``. The model runs as PyTorch
(checkpoint read with the project's weights-only loader) or as an exported ONNX file
through onnxruntime; both give logits at the network's input size, which are resized to
the image like mmseg's ``postprocess_result`` (bilinear, the head's ``align_corners``)
and turned into the lesion probability (softmax class 1, or sigmoid for one output
channel) and mask (argmax, or probability > the head's threshold).
"""
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import MODELS, init_default_scope

from mmseg_ht.engine import load_config
from mmseg_ht.engine.checkpoint_fit import check_checkpoint_fits, read_checkpoint_state_dict
from mmseg_ht.engine.trust import check_checkpoint_file

# Transforms that read image files (replaced by the array loader; the configs' checks
# after them stay) or ground truth (dropped).
FILE_LOADERS = ('LoadUltrasoundImage', 'LoadImageFromFile')
LABEL_LOADERS = ('LoadBinaryMask', 'LoadAnnotations')

Engine = Callable[[torch.Tensor], torch.Tensor]  # (N, 3, H, W) float → (N, C, H, W) logits


@dataclass
class Prediction:
    """Lesion probability (H, W) float32 in [0, 1] and 0/1 mask (H, W) uint8 at image size."""

    probability: np.ndarray
    mask: np.ndarray


def inference_pipeline(cfg: Config) -> List[dict]:
    """The config's test pipeline (mmseg or mmpretrain) for an in-memory BGR image."""
    steps = [dict(step) for step in cfg.test_dataloader.dataset.pipeline]
    loaders = [i for i, step in enumerate(steps) if step['type'] in FILE_LOADERS]
    if not loaders:
        raise ValueError(f'the test pipeline has no image loader ({"/".join(FILE_LOADERS)}): '
                         f'{[step["type"] for step in steps]}')
    steps[loaders[0]] = dict(type='mmseg.LoadImageFromNDArray')  # any scope
    return [step for step in steps if step['type'] not in LABEL_LOADERS]


def build_model(cfg: Config,
                checkpoint: Optional[str] = None,
                trusted: bool = False) -> torch.nn.Module:
    """The config's model (mmseg or mmpretrain) in eval mode, ``checkpoint`` loaded strictly.

    The checkpoint is read by ``read_checkpoint_state_dict`` (weights-only unless
    ``trusted``) after ``check_checkpoint_fits`` has checked it key for key.
    """
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    model = MODELS.build(cfg.model)
    if checkpoint is not None:
        check_checkpoint_file(checkpoint)
        check_checkpoint_fits(model, checkpoint, trusted=trusted)
        model.load_state_dict(read_checkpoint_state_dict(checkpoint, trusted=trusted))
    return model.eval()


class SegmentorLogits(torch.nn.Module):
    """A segmentor as one tensor function: preprocessed images → logits at the input size.

    This is what is exported to ONNX and what the PyTorch engine runs: mmseg's
    ``inference`` (whole or slide mode) with the image metadata of an unpadded input.
    """

    def __init__(self, segmentor: torch.nn.Module, input_size: Tuple[int, int]) -> None:
        super().__init__()
        self.segmentor = segmentor
        self.input_size = tuple(int(v) for v in input_size)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        meta = dict(
            img_shape=self.input_size,
            ori_shape=self.input_size,
            pad_shape=self.input_size,
            padding_size=[0, 0, 0, 0])
        return self.segmentor.inference(inputs, [meta])


def torch_engine(segmentor: torch.nn.Module) -> Engine:
    """PyTorch logits (no_grad, eval) for inputs of any fixed size."""
    wrappers = {}

    def run(inputs: torch.Tensor) -> torch.Tensor:
        size = tuple(inputs.shape[-2:])
        if size not in wrappers:
            wrappers[size] = SegmentorLogits(segmentor, size).eval()
        with torch.no_grad():
            return wrappers[size](inputs)

    return run


def onnx_engine(path: str, threads: Optional[int] = None) -> Engine:
    """onnxruntime (CPU) logits of a model written by ``export_onnx``."""
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or torch.get_num_threads()
    session = ort.InferenceSession(str(path), options, providers=['CPUExecutionProvider'])
    (expected, ) = session.get_inputs()

    def run(inputs: torch.Tensor) -> torch.Tensor:
        shape = tuple(expected.shape[-2:])
        if tuple(inputs.shape[-2:]) != shape:
            raise ValueError(f'{path} was exported for {shape} inputs, the config\'s pipeline '
                             f'gives {tuple(inputs.shape[-2:])}: export it with this config')
        (logits, ) = session.run(None, {expected.name: inputs.float().numpy()})
        return torch.from_numpy(logits)

    return run


class SegmentationPredictor:
    """Image (H, W, 3) uint8 BGR → ``Prediction``, with a PyTorch or an ONNX engine."""

    def __init__(self, cfg: Config, engine: Engine) -> None:
        init_default_scope(cfg.get('default_scope', 'mmseg'))
        self.cfg = cfg
        self.engine = engine
        self.pipeline = Compose(inference_pipeline(cfg))
        self.data_preprocessor = MODELS.build(cfg.model.data_preprocessor).eval()
        head = cfg.model.decode_head
        self.align_corners = bool(head.get('align_corners', False))
        self.threshold = float(head.get('threshold', None) or 0.3)

    @classmethod
    def from_files(cls,
                   config: str,
                   checkpoint: Optional[str] = None,
                   onnx: Optional[str] = None,
                   cfg_options: Optional[dict] = None,
                   trusted: bool = False) -> 'SegmentationPredictor':
        """From a config and either a checkpoint (PyTorch) or an ONNX file."""
        if (checkpoint is None) == (onnx is None):
            raise ValueError('give either a checkpoint or an ONNX file')
        cfg = load_config(config, cfg_options)
        engine = (
            onnx_engine(onnx) if onnx else torch_engine(build_model(cfg, checkpoint, trusted)))
        return cls(cfg, engine)

    def preprocess(self, image: np.ndarray) -> torch.Tensor:
        """(1, 3, h, w) float network input of one BGR uint8 image."""
        data = self.pipeline(dict(img=image))
        with torch.no_grad():
            return self.data_preprocessor(pseudo_collate([data]), False)['inputs']

    def postprocess(self, logits: torch.Tensor, size: Tuple[int, int]) -> Prediction:
        """Logits (1, C, h, w) → probability and mask at ``size`` (H, W)."""
        logits = F.interpolate(
            logits.float(), size=size, mode='bilinear', align_corners=self.align_corners)[0]
        if logits.shape[0] == 1:
            probability = logits[0].sigmoid()
            mask = probability > self.threshold
        else:
            probability = logits.softmax(dim=0)[1]
            mask = logits.argmax(dim=0) == 1
        return Prediction(probability.numpy().astype(np.float32), mask.numpy().astype(np.uint8))

    def __call__(self, image: np.ndarray) -> Prediction:
        return self.postprocess(self.engine(self.preprocess(image)), image.shape[:2])


class ClassificationPredictor:
    """Image (H, W, 3) uint8 BGR → class probabilities of an mmpretrain config.

    For the benign/malignant configs: ``{'benign': p, 'malignant': 1 - p}``.
    """

    def __init__(self,
                 config: str,
                 checkpoint: str,
                 cfg_options: Optional[dict] = None,
                 trusted: bool = False) -> None:
        cfg = load_config(config, cfg_options)
        if cfg.get('default_scope') != 'mmpretrain':
            raise ValueError(f'--cls-config {config}: not a classification (mmpretrain) config')
        self.cfg = cfg
        self.model = build_model(cfg, checkpoint, trusted)
        self.pipeline = Compose(inference_pipeline(cfg))
        from mmpretrain.registry import DATASETS
        dataset_cfg = cfg.test_dataloader.dataset
        dataset = DATASETS.get(dataset_cfg.type)
        self.classes = tuple((dataset_cfg.get('metainfo') or {}).get('classes')
                             or getattr(dataset, 'METAINFO', {}).get('classes', ()))
        num_classes = int(cfg.model.head.num_classes)
        if len(self.classes) != num_classes:
            self.classes = tuple(f'class{i}' for i in range(num_classes))

    def __call__(self, image: np.ndarray) -> Dict[str, float]:
        with torch.no_grad():
            (sample, ) = self.model.test_step(pseudo_collate([self.pipeline(dict(img=image))]))
        scores = sample.pred_score.float().tolist()
        return {name: float(score) for name, score in zip(self.classes, scores)}
