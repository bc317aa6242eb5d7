"""The HTML index of a stress run: targets, every plot, table, sample file and log, linked. Cold path.

Links are relative to the run directory, so the page works when the directory is copied or served.
"""

from __future__ import annotations

import html
from pathlib import Path

__all__ = ["write_index"]

_STYLE = """body{font:14px system-ui,sans-serif;margin:2em;max-width:1100px}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
.met{color:#070}.bad{color:#b00;font-weight:bold}.na{color:#888}img{max-width:100%;border:1px solid #ddd}"""


def _esc(x) -> str:
    return html.escape(str(x))


def _table(rows: list[dict], classes: dict[str, str] | None = None) -> str:
    if not rows:
        return "<p>(none)</p>"
    cols = list(rows[0])
    head = "".join(f"<th>{_esc(c)}</th>" for c in cols)
    body = []
    for r in rows:
        cells = []
        for c in cols:
            v = r.get(c, "")
            cls = "num" if isinstance(v, (int, float)) and not isinstance(v, bool) else ""
            if classes and c in classes:
                cls = classes[c](v) if callable(classes[c]) else classes[c]
            shown = f"{v:,.6g}" if isinstance(v, float) else _esc(v)
            cells.append(f'<td class="{cls}">{shown}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _status_class(status: str) -> str:
    return (
        "met" if status == "met" else ("bad" if status == "NOT MET" or status.startswith("failed") else "na")
    )


def write_index(run_dir: Path, manifest: dict, checks: list[dict], regression: list[dict] | None) -> Path:
    """Write ``run_dir/index.html`` linking every file the run produced; return its path."""
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>hftsim stress {_esc(manifest['scenario'])} {_esc(manifest['run_id'])}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>hftsim stress {_esc(manifest['scenario'])}</h1>",
        "<p>"
        + " · ".join(
            _esc(f"{k}: {manifest.get(k)}")
            for k in (
                "run_id",
                "mode",
                "repeat",
                "status",
                "started_utc",
                "wall_s",
                "loadavg_start",
                "loadavg_end",
                "cpu_count",
            )
        )
        + "</p>",
        "<h2>Targets</h2>",
        _table(checks, {"status": _status_class}),
    ]
    if manifest.get("unavailable"):
        parts.append(
            "<h2>Not run</h2><ul>"
            + "".join(f"<li>{_esc(k)}: {_esc(v)}</li>" for k, v in sorted(manifest["unavailable"].items()))
            + "</ul>"
        )
    if regression is not None:
        parts += [
            "<h2>Against the baseline</h2>",
            f"<p>baseline: {_esc(manifest.get('baseline'))} · "
            "<a href='regression_report.md'>regression_report.md</a> · "
            "<a href='regression_report.csv'>regression_report.csv</a></p>",
            _table(regression, {"result": lambda v: "met" if v == "pass" else "bad"}),
        ]
    plots = sorted((run_dir / "plots").glob("*.png")) if (run_dir / "plots").exists() else []
    parts.append("<h2>Plots</h2>")
    for p in plots:
        rel = p.relative_to(run_dir).as_posix()
        parts.append(f"<h3>{_esc(p.stem)}</h3><a href='{rel}'><img src='{rel}' alt='{_esc(p.stem)}'></a>")
    files = sorted(
        f
        for f in run_dir.rglob("*")
        if f.is_file()
        and f.suffix in (".csv", ".npy", ".log", ".json", ".md")
        and "work" not in f.relative_to(run_dir).parts
    )
    parts.append("<h2>Files</h2><ul>")
    for f in files:
        rel = f.relative_to(run_dir).as_posix()
        parts.append(f"<li><a href='{rel}'>{_esc(rel)}</a> ({f.stat().st_size:,} bytes)</li>")
    parts.append("</ul></body></html>")
    path = run_dir / "index.html"
    path.write_text("\n".join(parts))
    return path
