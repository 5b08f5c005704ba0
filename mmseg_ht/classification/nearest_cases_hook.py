"""NearestCasesHook: write every test prediction with its nearest reference cases (JSON lines).

For a reader to inspect why a retrieval classifier decided as it did: one
line per test image with its file, true and predicted class, class
probabilities and the most similar confirmed cases of the reference bank
(file, label, cosine similarity).
"""
import json
import os.path as osp
from typing import Optional, Sequence

from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class NearestCasesHook(Hook):
    """Append ``<work_dir>/<out_file>`` with one JSON line per test prediction."""

    def __init__(self, out_file: str = 'nearest_cases.jsonl') -> None:
        self.out_file = out_file
        self.path: Optional[str] = None

    def before_test(self, runner) -> None:
        self.path = self.out_file if osp.isabs(self.out_file) else osp.join(
            runner.work_dir, self.out_file)
        open(self.path, 'w').close()

    def after_test_iter(self,
                        runner,
                        batch_idx: int,
                        data_batch=None,
                        outputs: Optional[Sequence] = None) -> None:
        lines = []
        for sample in outputs or ():
            cases = sample.get('nearest_references')
            if cases is None:
                raise KeyError('NearestCasesHook needs a RetrievalClassifier or '
                               'RetrievalZeroShotClassifier model (no nearest_references)')
            lines.append(
                json.dumps(
                    dict(
                        img_path=sample.get('img_path'),
                        gt_label=int(sample.gt_label) if 'gt_label' in sample else None,
                        pred_label=int(sample.pred_label),
                        pred_score=[round(float(s), 4) for s in sample.pred_score],
                        nearest_references=cases)))
        with open(self.path, 'a', encoding='utf-8') as handle:
            handle.writelines(line + '\n' for line in lines)
