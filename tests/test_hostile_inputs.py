"""Issue #22, input rows: a line over --max-line-bytes stops the run with one line (exit 2) before it is read whole;
with the cap raised, a 64 MB single-word line is scored in bounded memory (words cut to --max-word-chars); a JSONL
line nested 100,000 deep is the usual one-line JSON error (before: 2.4 GB peak, a RecursionError traceback)."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from src.apps import predict as predict_app
from src.apps.bench_inputs import predict_peak
from src.serving import predict
from src.serving.limits import MAX_LINE_BYTES, cap_words, parse_size
from tests.hostile_files import assert_refused, predict_cli, tiny_checkpoint

WORD_MB = 64
PEAK_LIMIT_MB = (
    1_000  # torch + tiny model: ~380 MB; + one 64 MB line and its decoded copy: ~550 MB (old code: 2,445 MB)
)


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("inputs") / "tiny.pt")


@pytest.fixture(scope="module")
def huge_word(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("huge") / "word.txt"
    with open(path, "wb") as f:
        f.write(b"hello there\n")
        for _ in range(WORD_MB):
            f.write(b"a" * (1 << 20))
        f.write(b"\nbye\n")
    return path


def _run_measured(args: list) -> tuple[subprocess.CompletedProcess, float]:
    """The predict CLI in a child -> (result, the child's own peak RSS in MB, VmHWM at its exit)."""
    res, peak = predict_peak(["--threads", 1, "--quiet", *args], timeout=300)
    assert res.returncode >= 0, f"killed by signal {-res.returncode}"
    return res, peak


def test_64mb_single_word_line_refused_by_default_and_bounded_when_allowed(ckpt: Path, huge_word: Path):
    res, _ = _run_measured(["--model", ckpt, huge_word])
    assert_refused(res, f"{huge_word}: line 2: longer than {MAX_LINE_BYTES:,} bytes (--max-line-bytes)")
    res, peak = _run_measured(["--model", ckpt, "--max-line-bytes", f"{WORD_MB + 1}MiB", huge_word])
    assert res.returncode == 0, res.stderr.decode()[-800:]
    assert len(pd.read_csv(io.StringIO(res.stdout.decode()))) == 3
    assert peak < PEAK_LIMIT_MB, f"peak RSS {peak:.0f} MB"


def test_jsonl_nested_100000_deep_one_line_error(ckpt: Path, tmp_path: Path):
    path = tmp_path / "deep.jsonl"
    path.write_text('{"text": "fine"}\n{"text": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    assert_refused(predict_cli("--model", ckpt, path), f"{path}: line 2: invalid JSON (nested too deeply)")


def _main(args: list, stdin: bytes, capsys, monkeypatch) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    code = predict_app.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_line_cap_counts_bytes_without_the_line_ending(ckpt: Path, capsys, monkeypatch):
    line = "é" * 50  # 100 bytes
    for ending in (b"\n", b"\r\n", b""):
        code, out, err = _main(["--model", ckpt, "--max-line-bytes", 100], line.encode() + ending, capsys, monkeypatch)
        assert code == 0 and len(out.splitlines()) == 2, err
    code, out, err = _main(["--model", ckpt, "--max-line-bytes", 99], b"ok\n" + line.encode(), capsys, monkeypatch)
    assert code == 2 and "<stdin>: line 2: longer than 99 bytes" in err and len(err.strip().splitlines()) == 1


def test_word_cap_cuts_long_words_and_keeps_the_rest(ckpt: Path):
    assert cap_words("ab " + "x" * 50 + " cd\ty", 10) == "ab " + "x" * 10 + " cd\ty"
    assert cap_words("short words only", 5) == "short words only"
    pred = predict.load(ckpt)
    texts = ["nice day", "stupid crap " * 50, "burn " + "a" * 5000]
    capped = pred.predict(texts)
    pred.max_word_chars = 10**9
    whole = pred.predict(texts)
    pd.testing.assert_frame_equal(capped.iloc[:2], whole.iloc[:2])  # no word over the cap: same scores
    assert len(capped) == 3


@pytest.mark.parametrize("text, value", [("1048576", 1 << 20), ("64M", 64 * 10**6), ("64MiB", 64 << 20), ("2k", 2000)])
def test_sizes_parse(text: str, value: int):
    assert parse_size(text) == value


@pytest.mark.parametrize("text", ["0", "-1", "1.5M", "12 parsecs", ""])
def test_bad_sizes_refused(text: str):
    with pytest.raises(ValueError, match="positive size"):
        parse_size(text)


def test_caps_documented_in_the_serving_docs_and_help(capsys):
    from src.serving.limits import MAX_WORD_CHARS
    from tests.hostile_files import ROOT

    readme = (ROOT / "docs" / "serving.md").read_text()
    assert f"`--max-line-bytes` bytes (default 1 MiB = {MAX_LINE_BYTES:,}" in readme
    assert f"`--max-word-chars` (default {MAX_WORD_CHARS:,}" in readme
    with pytest.raises(SystemExit):
        predict_app.main(["--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--max-line-bytes SIZE" in help_text and "(default 1 MiB)" in help_text
    assert "--max-word-chars N" in help_text and f"(default {MAX_WORD_CHARS:,})" in help_text
