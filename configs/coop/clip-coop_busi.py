# CoOp (16 learnable context vectors, K=16 shots per class) with the clip towers on BUSI.
#   DATA_ROOT=data/busi python tools/train.py configs/coop/clip-coop_busi.py \
#       --cfg-options model.backbone.pretrained=W model.text_encoder.pretrained=W \
#       train_dataloader.dataset.shots=K
# The learned context: WORK_DIR/prompt_context.safetensors (model.context_checkpoint loads it).
_base_ = [
    '../_base_/cls/models/clip_coop.py',
    '../_base_/backbones/clip.py',
    '../_base_/cls/text_towers/clip.py',
    '../_base_/cls/datasets/busi_k_shot.py',
    '../_base_/cls/schedules/coop_200i.py',
    '../_base_/cls/coop_runtime.py',
]
model = dict(backbone=dict(arch={{_base_.backbone_arch}}),
             text_encoder=dict(arch={{_base_.text_arch}}))
