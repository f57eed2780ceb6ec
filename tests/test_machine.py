"""The CPU a run used is recorded by name, so a reader can tell why another machine's last bits differ."""

from pathlib import Path

from src.common.machine import cpu_model, machine_record


def test_cpu_model_reads_the_model_name(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nvendor_id\t: Example\nmodel name\t: Example CPU 9000 @ 3.0GHz\nflags\t: avx2\n")
    assert cpu_model(info) == "Example CPU 9000 @ 3.0GHz"


def test_cpu_model_falls_back_to_the_architecture(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nmodel name\t:\n")  # a blank name is no name
    assert cpu_model(info) and cpu_model(info) == cpu_model(tmp_path / "absent")


def test_machine_record_names_torch_kernels() -> None:
    rec = machine_record()
    assert set(rec) == {"cpu", "torch_kernels"} and rec["cpu"]
    assert rec["torch_kernels"]  # torch is installed in the test environment, so its kernel choice is known
