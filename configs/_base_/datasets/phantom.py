# Built-in synthetic ultrasound phantom: python tools/make_phantom_dataset.py data/phantom
_base_ = ['./us_binary_seg.py']
dataset_name = 'Phantom'  # label in result tables (tools/analysis/collect_results.py)
dataset_type = 'PhantomUSDataset'
data_root = '{{$DATA_ROOT:data/phantom}}'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
