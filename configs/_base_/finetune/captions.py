# Image-caption pairs written by tools/dataset_converters/captions.py
# (DATA_ROOT = its OUT_DIR: train.json, val.json). Images are referenced from
# the folder recorded in the annotation files (metainfo.image_root).
dataset_type = 'CaptionPairDataset'
dataset_name = 'Captions'  # label in result tables (tools/analysis/collect_results.py)
data_root = '{{$DATA_ROOT:data/captions}}'
image_size = (224, 224)
# Plain resize, no flip: captions may name sides ("left lobe").
pack = dict(
    type='PackInputs', algorithm_keys=('text', 'image_id', 'text_id'), meta_keys=('img_path', ))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=image_size, keep_ratio=False),
    pack,
]
test_pipeline = train_pipeline
train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type, data_root=data_root, ann_file='train.json', pipeline=train_pipeline),
)
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='val.json',
        pipeline=test_pipeline,
        test_mode=True),
)
test_dataloader = val_dataloader
# Image->text and text->image recall@1/5/10 on the held-out split, and their mean.
val_evaluator = dict(type='ImageTextRetrievalRecall', topk=(1, 5, 10))
test_evaluator = val_evaluator
