# Test only: the LN-INT classifier evaluated on the external LN-EXT set (generated).
#   DATA_ROOT=<LN-EXT converted with folder.py --all-test> \
#   python tools/test.py configs/baselines/dinov2-frozen-cls_ln-ext.py work_dirs/dinov2-frozen-cls_ln-int/best_cls_f1_iter_N.pth
_base_ = ['./dinov2-frozen-cls_ln-int.py']
test_dataloader = dict(dataset=dict(data_root='{{$DATA_ROOT:data/ln-ext}}'))
dataset_name = 'LN-EXT'
