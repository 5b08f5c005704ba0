# CI learning task, UNet side: the paper-size UNet baseline (configs/_base_/models/unet_seg.py,
# its own lr 1e-3) on the same 64-px phantom.
_base_ = ['../../configs/_base_/models/unet_seg.py', './tiny_phantom_data.py']
model = dict(data_preprocessor=dict(size=({{_base_.size}}, {{_base_.size}})))
optim_wrapper = dict(optimizer=dict(lr={{_base_.optimizer_lr}}))
