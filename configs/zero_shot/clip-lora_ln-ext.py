# Zero-shot on the external LN-EXT set (converted with folder.py --all-test).
_base_ = ['./clip-lora_ln-int.py']
test_dataloader = dict(dataset=dict(data_root='{{$DATA_ROOT:data/ln-ext}}'))
