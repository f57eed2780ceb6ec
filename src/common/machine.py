"""What the CPU a run used was: torch and the BLAS pick their kernels by it, so training bits follow it."""

from __future__ import annotations

import platform
from pathlib import Path


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU's model name (Linux's /proc/cpuinfo), else what `platform` knows (the architecture at least)."""
    try:
        for line in cpuinfo.read_text(errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and value.strip():
                return value.strip()
    except OSError:
        pass  # not Linux, or /proc is not mounted: the architecture is still worth recording
    return platform.processor() or platform.machine()


def cpu_kernels() -> str:
    """The vector instruction set torch's CPU kernels use here (e.g. AVX2, AVX512), "" when torch is absent."""
    try:
        import torch
    except ImportError:
        return ""  # ONNX serving runs without torch
    return torch.backends.cpu.get_cpu_capability()


def machine_record() -> dict[str, str]:
    """{"cpu", "torch_kernels"} for a results record: runs that differ in either may differ in their last bits."""
    return {"cpu": cpu_model(), "torch_kernels": cpu_kernels()}
