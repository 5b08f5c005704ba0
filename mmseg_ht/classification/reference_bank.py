"""A reference bank: L2-normalised image embeddings of confirmed (labelled) cases.

Written by ``tools/build_reference_bank.py`` as one safetensors file: tensors
``embeddings`` (N, E) and ``labels`` (N,), and in its metadata the class
names, the file name of every case (so a reader can open the nearest cases
of a prediction), which embedding was stored (``feature``) and where it came
from. The file holds no code and loads without unpickling.
"""
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Sequence, Union

import torch
import torch.nn.functional as F

from mmseg_ht.utils import save_state_dict_safely
from mmseg_ht.utils.errors import MmsegHtError

BANK_FORMAT = 'mmseg_ht-reference-bank'
FEATURES = ('pooled', 'pre_logits')


class ReferenceBankError(MmsegHtError, ValueError):
    """A reference bank file is missing, malformed or does not fit the model."""


@dataclass
class ReferenceBank:
    """Embeddings (N, E), labels (N,), case file names, class names and the feature kind."""

    embeddings: torch.Tensor
    labels: torch.Tensor
    files: List[str]
    classes: Sequence[str]
    feature: str = 'pooled'
    info: Dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.embeddings.ndim != 2 or self.labels.ndim != 1:
            raise ReferenceBankError(
                f'bank embeddings must be (N, E) and labels (N,), got '
                f'{tuple(self.embeddings.shape)} and {tuple(self.labels.shape)}')
        count = self.embeddings.shape[0]
        if count == 0 or len(self.labels) != count or len(self.files) != count:
            raise ReferenceBankError(f'bank has {count} embeddings, {len(self.labels)} labels and '
                                     f'{len(self.files)} file names; they must be equal and > 0')
        if self.feature not in FEATURES:
            raise ReferenceBankError(
                f'unknown bank feature {self.feature!r}; use one of {FEATURES}')
        self.embeddings = F.normalize(self.embeddings.float(), dim=-1)
        self.labels = self.labels.long()
        if int(self.labels.min()) < 0 or int(self.labels.max()) >= len(self.classes):
            raise ReferenceBankError(f'bank labels must be class indices of {tuple(self.classes)}')

    def __len__(self) -> int:
        return self.embeddings.shape[0]

    def class_counts(self) -> Dict[str, int]:
        """Number of reference cases per class."""
        counts = torch.bincount(self.labels, minlength=len(self.classes))
        return {name: int(n) for name, n in zip(self.classes, counts)}

    def save(self, path: Union[str, Path]) -> Path:
        """Write the bank as safetensors (tensors + JSON metadata)."""
        metadata = dict(
            self.info,
            format=BANK_FORMAT,
            feature=self.feature,
            classes=json.dumps(list(self.classes)),
            files=json.dumps(self.files))
        return save_state_dict_safely(
            dict(embeddings=self.embeddings, labels=self.labels), path, metadata=metadata)

    @classmethod
    def load(cls, path: Union[str, Path]) -> 'ReferenceBank':
        """Read a bank file; errors name the file and say how to make a valid one."""
        from safetensors import SafetensorError, safe_open
        path = Path(path)
        remedy = 'Build one with python tools/build_reference_bank.py CONFIG ... --out BANK.'
        if not path.is_file():
            raise ReferenceBankError(f'reference bank not found: {path}. {remedy}')
        try:
            with safe_open(str(path), framework='pt') as handle:
                metadata = handle.metadata() or {}
                tensors = {k: handle.get_tensor(k) for k in handle.keys()}
        except (SafetensorError, OSError) as err:
            raise ReferenceBankError(f'{path}: not a safetensors file ({err}). {remedy}') from err
        if metadata.get('format') != BANK_FORMAT or not {'embeddings', 'labels'} <= set(tensors):
            raise ReferenceBankError(f'{path}: not a reference bank (format '
                                     f'{metadata.get("format")!r}). {remedy}')
        info = {
            k: v
            for k, v in metadata.items() if k not in ('format', 'feature', 'classes', 'files')
        }
        try:
            return cls(tensors['embeddings'], tensors['labels'], json.loads(metadata['files']),
                       json.loads(metadata['classes']), metadata.get('feature', 'pooled'), info)
        except (KeyError, json.JSONDecodeError, ReferenceBankError) as err:
            raise ReferenceBankError(f'{path}: malformed reference bank ({err}). {remedy}') from err
