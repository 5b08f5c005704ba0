# LN-INT (in-house lymph nodes): python tools/dataset_converters/folder.py SRC data/ln-int
_base_ = ['./us_binary_seg.py']
dataset_name = 'LN-INT'  # label in result tables (tools/analysis/collect_results.py)
dataset_type = 'LNDataset'
data_root = '{{$DATA_ROOT:data/ln-int}}'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
