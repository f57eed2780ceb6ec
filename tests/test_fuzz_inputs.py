"""Fuzz: any bytes on the predict CLI's stdin (plain lines or JSONL) give one output row per line (exit 0) or one
`error:` line (exit 2); any CSV partition is read or refused with InputError naming the file."""

from __future__ import annotations

import contextlib
import io
import json
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from src.apps import predict as predict_cli
from src.serving.batch_worker import InputError, read_partition
from tests.fuzz_support import examples
from tests.hostile_files import tiny_checkpoint


@pytest.fixture(scope="module")
def pred_model(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tiny_checkpoint(tmp_path_factory.mktemp("fuzz_inputs") / "tiny.pt"))


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


json_lines = st.one_of(
    st.builds(lambda t: json.dumps({"text": t}), st.text(max_size=80)),
    st.builds(lambda d: '{"text": ' + _nested(d) + "}", st.integers(0, 5000)),
    st.builds(
        json.dumps,
        st.recursive(
            st.text(max_size=5) | st.integers(), lambda x: st.lists(x) | st.dictionaries(st.text(max_size=3), x)
        ),
    ),
    st.text(max_size=40),
)
raw_lines = st.one_of(
    st.binary(max_size=60),
    st.text(max_size=60).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.integers(1, 3000).map(lambda n: b"x" * n),
    json_lines.map(str.encode),
)


@examples(120)
@given(
    lines=st.lists(raw_lines, max_size=6),
    fmt=st.sampled_from(["text", "jsonl"]),
    errors=st.sampled_from(["strict", "replace"]),
    cap=st.sampled_from([None, "64", "2000"]),
    out_fmt=st.sampled_from(["csv", "jsonl"]),
)
def test_fuzz_cli_lines_scored_or_one_line_error(pred_model: str, lines, fmt, errors, cap, out_fmt):
    stdin = b"\n".join(line.replace(b"\n", b" ") for line in lines) + (b"\n" if lines else b"")
    args = ["--model", pred_model, "--format", fmt, "--errors", errors, "--output-format", out_fmt, "--quiet"]
    args += ["--max-line-bytes", cap] if cap else []
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = predict_cli.main(args)
    finally:
        sys.stdin = saved
    event(f"exit {code}: {err.getvalue()[err.getvalue().find('line') :][:30]}" if code else "exit 0")
    if code == 0:
        header = 1 if out_fmt == "csv" else 0
        assert len(out.getvalue().splitlines()) == len(lines) + header and err.getvalue() == ""
    else:
        assert code == 2 and err.getvalue().startswith("error: ") and len(err.getvalue().strip().splitlines()) == 1


csv_fields = st.one_of(
    st.text(max_size=20),
    st.sampled_from(['"', '""', '"a,b"', "\r", "\r\n", ",", "\x00", "\ufeff", '"\n"']),
)


@st.composite
def csv_files(draw) -> bytes:
    """A header (right, reordered, missing or junk) and rows of awkward fields, maybe with bad bytes spliced in."""
    header = draw(st.sampled_from(["id,text", "text,id", "id", "text,text", "", "id,text,extra", '"id","text"']))
    rows = draw(st.lists(st.lists(csv_fields, min_size=0, max_size=4).map(",".join), max_size=6))
    data = "\n".join([header, *rows]).encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        pos = draw(st.integers(0, len(data)))
        data = data[:pos] + draw(st.binary(min_size=1, max_size=8)) + data[pos:]
    return draw(st.sampled_from([b"", b"\xef\xbb\xbf"])) + data


@examples(200)
@given(data=csv_files())
def test_fuzz_csv_partitions_read_or_refused(data: bytes):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "part.csv"
        path.write_bytes(data)
        try:
            ids, texts = read_partition(path, "text", "id")
        except InputError as e:  # the batch CLI prints it on one line (whitespace collapsed), naming the file
            assert str(e).startswith(f"{path}: "), str(e)
            event(f"refused: {str(e).split(': ', 1)[1][:30]}")
            return
        event("read")
        assert len(ids) == len(texts) and ids.null_count == texts.null_count == 0
