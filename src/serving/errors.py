"""Serving errors, in a module without torch so the ONNX backend can raise and catch them."""

from __future__ import annotations


class CheckpointError(ValueError):
    """A checkpoint that is missing, corrupt, truncated, foreign or inconsistent."""


class BundleError(CheckpointError):
    """An ONNX bundle folder that is incomplete, modified, foreign or holds anything besides its listed files."""
