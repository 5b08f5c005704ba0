# LN-INT (in-house lymph nodes) benign vs malignant:
# python tools/dataset_converters/folder.py SRC data/ln-int  (SRC/labels.csv: filename,label)
# Other label names: add label_map=dict(reactive='benign', metastatic='malignant') to the datasets.
_base_ = ['./us_binary_cls.py']
dataset_name = 'LN-INT'  # label in result tables (tools/analysis/collect_results.py)
dataset_type = 'LNClsDataset'
data_root = '{{$DATA_ROOT:data/ln-int}}'
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
