"""Evaluation: metrics and thresholds, curves and plots, interpretation, compression, the speed benchmark."""
