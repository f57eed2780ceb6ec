"""Keep docs/serving.md's command-line example true: rerun the documented command and paste its real output."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

# The documented command (printf '...' | python -m src.apps.predict --model M) and the text block after it.
EXAMPLE = re.compile(
    r"(printf '(?P<text>[^']*)' \\\n\s*\| python -m src\.apps\.predict --model (?P<model>\S+)\n```\n\n```text\n)"
    r"(?P<out>.*?)(```)",
    re.S,
)


SERVING_DOC = Path("docs") / "serving.md"  # under the checkout root


def refresh_docs(root: Path) -> bool:
    """Refresh the serving doc's example under `root` when that doc exists; True when its output was rewritten."""
    doc = root / SERVING_DOC
    return doc.is_file() and refresh_serving_example(doc, root)


def refresh_serving_example(doc: Path, root: Path) -> bool:
    """Rerun the example in `doc` from `root`; rewrite its output block. False when its model is absent."""
    text = doc.read_text()
    m = EXAMPLE.search(text)
    if m is None:
        raise ValueError(f"{doc}: the predict example (printf ... | python -m src.apps.predict) was not found")
    if not (root / m["model"]).is_file():
        return False
    stdin = m["text"].replace("\\n", "\n").encode()
    cmd = [sys.executable, "-m", "src.apps.predict", "--model", m["model"]]
    res = subprocess.run(cmd, cwd=root, input=stdin, capture_output=True, check=False)
    if res.returncode != 0:
        raise RuntimeError(f"{doc}: the example command failed: {res.stderr.decode()[-2000:]}")
    doc.write_text(text[: m.start("out")] + res.stdout.decode() + text[m.end("out") :])
    return True
