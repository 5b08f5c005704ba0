# DDTI thyroid nodules: python tools/dataset_converters/ddti.py SRC data/ddti
_base_ = ['./us_binary_seg.py']
dataset_name = 'DDTI'  # label in result tables (tools/analysis/collect_results.py)
dataset_type = 'DDTIDataset'
data_root = '{{$DATA_ROOT:data/ddti}}'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
