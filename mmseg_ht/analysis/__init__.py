"""Experiment analysis: parameter tables, result tables, the experiment matrix."""
