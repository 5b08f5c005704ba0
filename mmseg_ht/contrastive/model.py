"""ContrastiveCLIP: stage-1 adaptation of a frozen CLIP with adapters and InfoNCE.

Image tower: ``CLIPViT`` (adapters inside, ``out_pooled=True`` so all blocks
run and the last output is the projected image embedding). Text tower:
``OpenCLIPTextEncoder`` (frozen; LoRA on its blocks for "LoRA V+T"). Both
towers share ``arch`` and the ``pretrained`` file unless the text encoder
config names its own. Only adapter parameters (and a learnable logit scale,
if chosen) train.
"""
import copy
import math
from typing import Dict, List, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import MMLogger
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement
from mmpretrain.registry import MODELS
from mmseg.registry import MODELS as SEG_MODELS

from .infonce import positive_mask_from_ids

CLIP_INIT_TEMPERATURE = 0.07
CLIP_MAX_LOGIT_SCALE = 100.0


def _build_in_mmseg(cfg: Dict) -> nn.Module:
    cfg = copy.deepcopy(cfg)
    cfg.setdefault('_scope_', 'mmseg')  # CLIPViT and the text encoder live in mmseg's MODELS
    return SEG_MODELS.build(cfg)


@MODELS.register_module()
class ContrastiveCLIP(BaseModel):
    """CLIP image + text towers trained contrastively through their adapters.

    Args:
        backbone: ``CLIPViT`` config (``out_pooled`` is forced on).
        text_encoder: ``OpenCLIPTextEncoder`` config; ``arch``/``pretrained``
            default to the backbone's.
        loss: loss config (``InfoNCELoss``).
        logit_scale: ``init`` (a number, the multiplier 1/temperature, or
            ``'pretrained'`` for the weights file's learned scale),
            ``learnable`` (False: fixed temperature) and ``max`` (clamp,
            CLIP's 100).
        text_adapter_checkpoint: text-tower adapter file (LoRA V+T) to load.
        data_preprocessor: batches images; no mean/std (the backbone normalises).
    """

    def __init__(self,
                 backbone: Dict,
                 text_encoder: Optional[Dict] = None,
                 loss: Dict = dict(type='InfoNCELoss'),
                 logit_scale: Dict = dict(
                     init=1 / CLIP_INIT_TEMPERATURE, learnable=False, max=CLIP_MAX_LOGIT_SCALE),
                 text_adapter_checkpoint: Optional[str] = None,
                 data_preprocessor: Optional[Dict] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='ImgDataPreprocessor', bgr_to_rgb=True)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        backbone = dict(backbone, out_pooled=True)
        text_encoder = dict(text_encoder or dict(type='OpenCLIPTextEncoder'))
        text_encoder.setdefault('type', 'OpenCLIPTextEncoder')
        if text_encoder.get('arch') is None:
            text_encoder['arch'] = backbone.get('arch', 'ViT-B-16-quickgelu')
        if text_encoder.get('pretrained') is None:
            text_encoder['pretrained'] = backbone.get('pretrained')
        self.backbone = _build_in_mmseg(backbone)
        self.text_encoder = _build_in_mmseg(text_encoder)
        if text_adapter_checkpoint:
            self.text_encoder.load_adapters(text_adapter_checkpoint)
        self.loss_module = MODELS.build(loss)
        self._init_logit_scale(dict(logit_scale))

    def _init_logit_scale(self, cfg: Dict) -> None:
        init = cfg.get('init', 1 / CLIP_INIT_TEMPERATURE)
        if init == 'pretrained':
            log_scale = self.text_encoder.pretrained_logit_scale  # stored as log(scale)
            if log_scale is None:
                MMLogger.get_current_instance().warning(
                    'ContrastiveCLIP: logit_scale init="pretrained" but the weights file has '
                    f'no logit_scale; using CLIP\'s 1/{CLIP_INIT_TEMPERATURE}.')
                log_scale = math.log(1 / CLIP_INIT_TEMPERATURE)
        else:
            log_scale = math.log(float(init))
        self.max_log_scale = math.log(float(cfg.get('max', CLIP_MAX_LOGIT_SCALE)))
        value = torch.tensor(float(log_scale))
        if cfg.get('learnable', False):
            self.logit_scale = nn.Parameter(value)
        else:
            self.register_buffer('logit_scale', value)

    # ------------------------------------------------------------- features
    def scale(self) -> torch.Tensor:
        """The multiplier on cosine similarities, exp(logit_scale) clamped at ``max``."""
        return self.logit_scale.clamp(max=self.max_log_scale).exp()

    def encode_images(self, images: torch.Tensor) -> torch.Tensor:
        return self.backbone(images)[-1]

    def encode_texts(self, texts: List[str]) -> torch.Tensor:
        return self.text_encoder(texts)

    @staticmethod
    def _texts(data_samples: List[BaseDataElement]) -> List[str]:
        if not data_samples or 'text' not in data_samples[0]:
            raise ValueError('ContrastiveCLIP needs data samples with a "text" field '
                             "(pack it with PackInputs(algorithm_keys=('text', ...)))")
        return [sample.text for sample in data_samples]

    @staticmethod
    def _positive_mask(data_samples: List[BaseDataElement], device) -> Optional[torch.Tensor]:
        if not all('image_id' in s and 'text_id' in s for s in data_samples):
            return None
        image_ids = torch.tensor([int(s.image_id) for s in data_samples], device=device)
        text_ids = torch.tensor([int(s.text_id) for s in data_samples], device=device)
        return positive_mask_from_ids(image_ids, text_ids)

    # -------------------------------------------------------------- forward
    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List] = None,
                mode: str = 'tensor') -> Union[Dict[str, torch.Tensor], List]:
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            result = dict(image_embeds=F.normalize(self.encode_images(inputs), dim=-1))
            if data_samples:
                result['text_embeds'] = F.normalize(
                    self.encode_texts(self._texts(data_samples)), dim=-1)
            return result
        raise ValueError(f'invalid mode {mode!r}: use "loss", "predict" or "tensor"')

    def loss(self, inputs: torch.Tensor, data_samples: List) -> Dict[str, torch.Tensor]:
        image_embeds = self.encode_images(inputs)
        text_embeds = self.encode_texts(self._texts(data_samples))
        positives = self._positive_mask(data_samples, inputs.device)
        scale = self.scale()
        loss = self.loss_module(image_embeds, text_embeds, scale, positives)
        with torch.no_grad():
            similarity = F.normalize(image_embeds, dim=-1) @ F.normalize(text_embeds, dim=-1).t()
            if positives is None:
                positives = torch.eye(len(similarity), dtype=torch.bool, device=similarity.device)
            rows = torch.arange(len(similarity), device=similarity.device)
            acc_i2t = positives[rows, similarity.argmax(dim=1)].float().mean()
            acc_t2i = positives[similarity.argmax(dim=0), rows].float().mean()
        return dict(loss_infonce=loss, logit_scale=scale.detach(), acc_i2t=acc_i2t, acc_t2i=acc_t2i)

    def predict(self, inputs: torch.Tensor, data_samples: List) -> List:
        embeds = self.forward(inputs, data_samples, mode='tensor')
        for i, sample in enumerate(data_samples):
            sample.set_field(embeds['image_embeds'][i].detach(), 'image_embedding')
            sample.set_field(embeds['text_embeds'][i].detach(), 'text_embedding')
        return data_samples
