# TN3K thyroid nodules: python tools/dataset_converters/tn3k.py SRC data/tn3k
_base_ = ['./us_binary_seg.py']
dataset_name = 'TN3K'  # label in result tables (tools/analysis/collect_results.py)
dataset_type = 'TN3KDataset'
data_root = '{{$DATA_ROOT:data/tn3k}}'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
