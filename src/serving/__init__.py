"""Serving: one-file checkpoints and the `predict` API / command line (kept apart from training code)."""
