# Zero-shot benign vs malignant: metaclip on thyroid (thyroid prompts).
#   DATA_ROOT=<converted set> python tools/zero_shot.py configs/zero_shot/metaclip_thyroid.py \
#       --cfg-options model.backbone.pretrained=W model.text_encoder.pretrained=W
# Any thyroid set with benign/malignant labels, converted with
# tools/dataset_converters/folder.py (SRC/labels.csv: filename,label).
_base_ = ['./metaclip_ln-int.py']
dataset_name = 'Thyroid'
model = dict(prompts='thyroid')
test_dataloader = dict(dataset=dict(type='UltrasoundClsDataset',
                                    data_root='{{$DATA_ROOT:data/thyroid}}'))
