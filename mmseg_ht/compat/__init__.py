"""Compatibility shims that let mmseg_ht run on the pinned OpenMMLab stack."""
