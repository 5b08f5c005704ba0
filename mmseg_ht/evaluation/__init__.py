"""Evaluation metrics (Dice, IoU, HD95, ASD)."""
