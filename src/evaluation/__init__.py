"""Evaluation: metrics, thresholds, curves, plots, interpretation, compression, speed benchmark, functional test suite."""
