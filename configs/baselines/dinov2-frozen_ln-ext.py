# Test only: the LN-INT model evaluated on the external LN-EXT set (generated).
#   DATA_ROOT=<LN-EXT converted with folder.py --all-test> \
#   python tools/test.py configs/baselines/dinov2-frozen_ln-ext.py work_dirs/dinov2-frozen_ln-int/best_Dice_iter_N.pth
_base_ = ['./dinov2-frozen_ln-int.py']
test_dataloader = dict(dataset=dict(data_root='{{$DATA_ROOT:data/ln-ext}}'))
dataset_name = 'LN-EXT'
