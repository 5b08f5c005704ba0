"""tools/analysis/collect_results.py and param_count.py on synthetic results and a tiny model."""
import csv
import json
import math
from pathlib import Path

import pytest

from mmseg_ht.analysis.results_table import ResultsFileError, collect
from tests.conftest import run_tool


def write_run(root: Path,
              name: str,
              method: str,
              backbone: str,
              dataset: str,
              seed: int,
              metrics: dict,
              ratio: float = 1.0,
              task: str = 'segmentation') -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    record = dict(
        config=f'configs/x/{name}.py',
        checkpoint='x.pth',
        experiment=dict(
            method=method,
            backbone=backbone,
            dataset=dataset,
            task=task,
            ratio=ratio,
            ratio_seed=seed,
            seed=seed,
            config_name=name),
        metrics=metrics)
    (folder / 'test_results.json').write_text(json.dumps(record))
    return folder


def seg(dice, hd95=10.0):
    return dict(Dice=dice, IoU=dice - 10, HD95=hd95, ASD=hd95 / 4, n_images=65)


@pytest.fixture
def results(tmp_path):
    for seed, (ht, lora) in enumerate([(70.0, 60.0), (72.0, 64.0), (74.0, 62.0)]):
        write_run(tmp_path, f'ht_busi_s{seed}', 'HT', 'CLIP', 'BUSI', seed, seg(ht, 8.0 + seed))
        write_run(tmp_path, f'lora_busi_s{seed}', 'LoRA', 'CLIP', 'BUSI', seed, seg(lora, 20.0))
    write_run(tmp_path, 'ht_ddti', 'HT', 'CLIP', 'DDTI', 0, seg(80.0, 5.0))
    write_run(tmp_path, 'lora_ddti', 'LoRA', 'CLIP', 'DDTI', 0, seg(50.0, 30.0))
    write_run(tmp_path, 'unet_busi', 'UNet', '-', 'BUSI', 0, seg(55.0, 40.0))
    for ratio, dice in ((0.1, 40.0), (0.01, 20.0)):
        write_run(tmp_path, f'ht_busi_r{ratio}', 'HT', 'CLIP', 'BUSI', 0, seg(dice), ratio=ratio)
    write_run(
        tmp_path,
        'cls_ht',
        'HT',
        'CLIP',
        'BUSI',
        0, {
            'cls/accuracy': 80.0,
            'cls/precision': 70.0,
            'cls/recall': 60.0,
            'cls/f1': 64.6,
            'cls/auc': 85.0
        },
        task='classification')
    return tmp_path


def table_rows(markdown: str, first_cell: str):
    return [line for line in markdown.splitlines() if line.startswith(f'| {first_cell} |')]


def test_seeds_give_mean_and_sample_std_and_best_is_bold(results):
    table = collect([str(results)])
    text = table.markdown('segmentation', few_shot=False)
    header = text.splitlines()[0]
    assert header.startswith('| Method | Backbone | BUSI Dice | BUSI IoU | BUSI HD95 | BUSI ASD |')
    assert 'Average Dice' in header and header.endswith('runs |')
    ht, = table_rows(text, 'HT')
    assert '**72.00 ± 2.00**' in ht  # Dice over seeds 70/72/74, best of the column
    assert '**9.00 ± 1.00**' in ht  # HD95 8/9/10: lower is better
    lora, = table_rows(text, 'LoRA')
    assert '62.00 ± 2.00' in lora and '**' not in lora.split('|')[3]
    assert ht.endswith('| 1/3 |')  # DDTI from one run, BUSI from three
    # Average Dice of HT = mean of BUSI 72 and DDTI 80; UNet lacks DDTI -> no average.
    assert '**76.00**' in ht
    unet, = table_rows(text, 'UNet')
    assert unet.count('–') == 8  # no DDTI Dice/IoU/HD95/ASD, hence no averages
    lines = text.splitlines()
    assert [line.split('|')[1].strip() for line in lines[2:]] == ['UNet', 'LoRA', 'HT']


def test_few_shot_rows_per_ratio_and_classification_table(results):
    table = collect([str(results)])
    few = table.markdown('segmentation', few_shot=True)
    assert few.splitlines()[0].startswith('| Method | Backbone | Data | BUSI Dice')
    rows = [line.split('|')[3].strip() for line in few.splitlines()[2:]]
    assert rows == ['1 %', '10 %']
    cls_text = table.markdown('classification', few_shot=False)
    assert '| HT | CLIP | 80.00 | 60.00 | 70.00 | 64.60 | 85.00 | 1 |' in cls_text
    report = table.report()
    assert report.index('### Segmentation\n') < report.index('few-shot') < report.index(
        '### Classification')


def test_csv_has_one_line_per_group_data_set_and_metric(results, tmp_path):
    out = tmp_path / 'table.csv'
    collect([str(results)]).write_csv(out)
    rows = list(csv.DictReader(out.open()))
    ht_busi_dice = [
        r for r in rows if r['method'] == 'HT' and r['dataset'] == 'BUSI' and r['ratio'] == '1'
        and r['metric'] == 'Dice'
    ]
    assert len(ht_busi_dice) == 1
    row = ht_busi_dice[0]
    assert float(row['mean']) == 72.0 and math.isclose(float(row['std']), 2.0)
    assert row['n_runs'] == '3' and row['values'] == '70 72 74'
    assert len(rows) == 4 * (2 + 2 + 1 + 2) + 5  # seg groups x 4 metrics + 5 cls metrics


def test_cli_writes_markdown_and_csv(results, tmp_path):
    md, csv_path = tmp_path / 'out.md', tmp_path / 'out.csv'
    result = run_tool('tools/analysis/collect_results.py', str(results), '--out-md', str(md),
                      '--out-csv', str(csv_path))
    assert '12 runs' in result.stdout
    assert md.read_text() in result.stdout and csv_path.stat().st_size > 0


def test_clear_errors_for_missing_and_broken_results(tmp_path):
    with pytest.raises(ResultsFileError, match='no test_results.json'):
        collect([str(tmp_path)])
    with pytest.raises(ResultsFileError, match='does not exist'):
        collect([str(tmp_path / 'nope')])
    (tmp_path / 'bad').mkdir()
    (tmp_path / 'bad' / 'test_results.json').write_text('{"metrics": ')
    with pytest.raises(ResultsFileError, match='bad/test_results.json: not a readable JSON'):
        collect([str(tmp_path)])
    # exit code 2 (bad input, as argparse and the other tools; it was 1), one line on stderr
    with pytest.raises(
            AssertionError,
            match=r'failed \(2\):\n(.*\n)*collect_results\.py: error: .*empty does '
            'not exist'):
        run_tool('tools/analysis/collect_results.py', str(tmp_path / 'bad' / '..' / 'empty'))


def test_duplicate_runs_are_counted_with_a_warning(tmp_path):
    write_run(tmp_path, 'a', 'HT', 'CLIP', 'BUSI', 0, seg(70.0))
    write_run(tmp_path, 'b', 'HT', 'CLIP', 'BUSI', 0, seg(72.0))
    with pytest.warns(UserWarning, match='are the same run'):
        table = collect([str(tmp_path)])
    assert '71.00 ± 1.41' in table.markdown('segmentation', few_shot=False)


def test_param_count_tool_matches_the_built_model(tmp_path):
    out = tmp_path / 'params.json'
    result = run_tool('tools/analysis/param_count.py', 'configs/ht/clip-ht_busi.py', '--json',
                      str(out), '--cfg-options', 'model.backbone.arch=mmseg_ht-tiny-vit16',
                      'model.decode_head.in_channels=[64,64,64]', 'model.decode_head.channels=32')
    rows = {row['module']: row for row in json.loads(out.read_text())['rows']}
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    cfg = Config.fromfile('configs/ht/clip-ht_busi.py')
    cfg.merge_from_dict({
        'model.backbone.arch': 'mmseg_ht-tiny-vit16',
        'model.decode_head.in_channels': [64, 64, 64],
        'model.decode_head.channels': 32
    })
    model = MODELS.build(cfg.model)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert rows['total']['trainable'] == trainable
    assert rows['total']['total'] == sum(p.numel() for p in model.parameters())
    assert rows['backbone.tower']['trainable'] == 0
    head = sum(p.numel() for p in model.decode_head.parameters())
    assert rows['decode_head']['trainable'] == head
    assert rows['backbone']['trainable'] + head == trainable
    assert f'Params (trainable): {trainable / 1e6:.2f} M' in result.stdout
