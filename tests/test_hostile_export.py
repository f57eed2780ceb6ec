"""Issue #22, export row: `onnx_export --out DIR` replaces only a bundle of ours (a manifest of our format and
nothing but its listed files) or an empty folder; anything else is refused with one line and exit 2, untouched
(before: any DIR holding a manifest.json was deleted with rmtree, whatever else it held)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from src.apps import export as export_cli
from src.serving import onnx_export
from tests.hostile_files import assert_refused, run_module, tiny_checkpoint


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("export") / "tiny.pt")


@pytest.fixture(scope="module")
def bundle_dir(ckpt: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return onnx_export.export(ckpt, tmp_path_factory.mktemp("export_out") / "tiny_onnx")


def test_export_out_holding_any_manifest_is_not_deleted(ckpt: Path, tmp_path: Path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "manifest.json").write_text('{"project": "someone else\'s"}')
    (mine / "thesis.tex").write_text("years of work")
    res = run_module("src.apps.export", ckpt, "--out", mine)
    assert_refused(res, "not an ONNX bundle of ours", "not replaced")
    assert sorted(p.name for p in mine.iterdir()) == ["manifest.json", "thesis.tex"]


def test_export_out_bundle_with_an_extra_file_is_not_replaced(ckpt: Path, bundle_dir: Path, tmp_path: Path, capsys):
    out = shutil.copytree(bundle_dir, tmp_path / "b")
    (out / "notes.txt").write_text("mine")
    assert export_cli.main([str(ckpt), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "not an ONNX bundle of ours" in err and "'notes.txt'" in err and len(err.strip().splitlines()) == 1
    assert (out / "notes.txt").read_text() == "mine"
    link = tmp_path / "link"
    link.symlink_to(out, target_is_directory=True)
    assert export_cli.main([str(ckpt), "--out", str(link)]) == 2 and (out / "notes.txt").is_file()


def test_export_replaces_only_its_own_bundle(ckpt: Path, bundle_dir: Path, tmp_path: Path, capsys):
    out = shutil.copytree(bundle_dir, tmp_path / "b")
    (out / "model.onnx").unlink()  # a damaged bundle of ours is still ours: replaced whole
    assert export_cli.main([str(ckpt), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "model.onnx", "tokenizer.bpe"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b"]  # no temp or old folder left beside it
