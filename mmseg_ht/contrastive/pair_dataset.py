"""CaptionPairDataset: image–caption pairs written by tools/dataset_converters/captions.py."""
import os.path as osp
from typing import Dict, List, Optional

from mmengine.dataset import BaseDataset
from mmpretrain.registry import DATASETS


@DATASETS.register_module()
class CaptionPairDataset(BaseDataset):
    """One item per (image, caption) pair: ``img_path``, ``text``, ``image_id``, ``text_id``.

    ``image_id``/``text_id`` number the distinct images and distinct caption
    strings of the split; pairs sharing either are positives of each other in
    the loss and in retrieval (templated corpora repeat captions).

    Args:
        ann_file: ``train.json``/``val.json`` (relative to ``data_root``).
        image_root: folder the ``img_path`` entries are relative to; default
            ``metainfo.image_root`` from the annotation file, else ``data_root``.
    """

    def __init__(self, ann_file: str, image_root: Optional[str] = None, **kwargs) -> None:
        self.image_root = image_root
        super().__init__(ann_file=ann_file, **kwargs)

    def _root(self) -> str:
        return self.image_root or self.metainfo.get('image_root') or self.data_root or ''

    def parse_data_info(self, raw_data_info: Dict) -> Dict:
        info = dict(raw_data_info)
        info['img_path'] = osp.join(self._root(), info['img_path'])
        return info

    def load_data_list(self) -> List[Dict]:
        data_list = super().load_data_list()
        images: Dict[str, int] = {}
        texts: Dict[str, int] = {}
        for info in data_list:
            info['image_id'] = images.setdefault(info['img_path'], len(images))
            info['text_id'] = texts.setdefault(info['text'], len(texts))
        self.num_images, self.num_texts = len(images), len(texts)
        return data_list
