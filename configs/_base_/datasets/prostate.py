# Micro-ultrasound prostate: python tools/dataset_converters/prostate.py SRC data/prostate
_base_ = ['./us_binary_seg.py']
dataset_name = 'Prostate'  # label in result tables (tools/analysis/collect_results.py)
dataset_type = 'ProstateDataset'
data_root = '{{$DATA_ROOT:data/prostate}}'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
