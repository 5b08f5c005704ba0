# BUSI benign vs malignant: python tools/dataset_converters/busi.py SRC data/busi
# (the same folder as the segmentation config; normal images are excluded).
_base_ = ['./us_binary_cls.py']
dataset_name = 'BUSI'  # label in result tables (tools/analysis/collect_results.py)
dataset_type = 'BUSIClsDataset'
data_root = '{{$DATA_ROOT:data/busi}}'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
