"""Stage 1: contrastive adaptation of CLIP adapters on ultrasound image–caption pairs.

caption_cleaning (text rules) · caption_table (reading CSV/JSONL) ·
caption_corpus (clean + image check + 9:1 split + report) · pair_dataset ·
infonce (loss) · model (ContrastiveCLIP) · retrieval_metric (recall@K) ·
adapter_export_hook: adapter-only safetensors files during training (the files
themselves: ``mmseg_ht.models.adapters``).
"""
from .adapter_export_hook import AdapterExportHook
from .caption_cleaning import check_caption, clean_caption
from .caption_corpus import build_caption_corpus, check_image
from .infonce import InfoNCELoss
from .model import ContrastiveCLIP
from .pair_dataset import CaptionPairDataset
from .retrieval_metric import ImageTextRetrievalRecall, retrieval_recalls

__all__ = [
    'AdapterExportHook', 'CaptionPairDataset', 'ContrastiveCLIP', 'ImageTextRetrievalRecall',
    'InfoNCELoss', 'build_caption_corpus', 'check_caption', 'check_image', 'clean_caption',
    'retrieval_recalls'
]
