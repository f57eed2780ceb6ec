"""Experiments: notebook glue (runs, tables), results files, REPORT.md generation and the notebook runner."""
