# BUSI breast ultrasound: python tools/dataset_converters/busi.py SRC data/busi
_base_ = ['./us_binary_seg.py']
dataset_name = 'BUSI'  # label in result tables (tools/analysis/collect_results.py)
dataset_type = 'BUSIDataset'
data_root = '{{$DATA_ROOT:data/busi}}'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
