"""Markdown pieces of REPORT.md: tables and cell formats."""

from __future__ import annotations

NOT_RUN = "(not run yet)"  # a table whose results file does not exist yet


def md_table(header: list[str], rows: list[list]) -> str:
    """A GitHub markdown table; floats to 3 decimals, None as an em dash."""

    def cell(v) -> str:
        if v is None:
            return "—"
        return f"{v:.3f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)


def dig(d: dict | None, *keys):
    """d[k1][k2]... or None where any key is missing."""
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def size_mb(b) -> str | None:
    """Bytes as "x.y MB"; None (an em dash) for 0: a model scored but not saved."""
    # size_bytes 0 marks a model that was scored but not saved (sweep runs): no size to show.
    return None if not b else f"{b / 1e6:.1f} MB"


def bench_cell(v):
    """A bench number: thousands separators from 100 up, else 4 significant digits."""
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.4g}"
    return v


def fmt3(v) -> str:
    """3 decimals, or an em dash for a missing value."""
    return "—" if v is None else f"{v:.3f}"
