# The paper's segmentation loss for every segmentor (CLIP towers, DINOv2,
# CLIPSeg, UNet): MONAI DiceCELoss(to_onehot_y=True, softmax=True,
# squared_pred=True, smooth_nr=1e-8, smooth_dr=1e-8) = soft Dice per sample and
# per class (background included) + mean cross-entropy; ignore_index pixels
# count in neither term (mmseg_ht/models/losses/dice_ce_loss.py).
seg_loss = dict(type='DiceCELoss', smooth_nr=1e-8, smooth_dr=1e-8, loss_weight=1.0)
