"""Evaluation: metrics, thresholds, curves, plots, interpretation, compression, benchmark, functional test suite."""
