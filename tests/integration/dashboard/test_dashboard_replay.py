"""`hftsim dashboard RUN_DIR` serving a finished run over HTTP."""

from __future__ import annotations

import asyncio
import json
import urllib.request

import numpy as np
import pytest

from hftsim.data.tables import L1_SCHEMA, TRADE_SCHEMA, l1_table, trade_table, write_table
from hftsim.monitor.cli import serve_run

from .dashboard_support import wait_for


def _run_dir(path):
    path.mkdir()
    n = 50
    ts = np.arange(1, n + 1, dtype=np.int64) * 10_000_000
    write_table(
        l1_table(
            ts_ns=ts,
            symbol_id=np.zeros(n, np.int32),
            bid_px_ticks=np.full(n, 99),
            bid_qty=np.full(n, 3),
            ask_px_ticks=np.full(n, 101),
            ask_qty=np.full(n, 4),
        ),
        path / "l1.parquet",
        L1_SCHEMA,
    )
    write_table(
        trade_table(
            ts_ns=ts[::5],
            symbol_id=np.zeros(10, np.int32),
            price_ticks=np.full(10, 100),
            qty=np.ones(10),
            aggressor_side=np.ones(10, np.int8),
            exec_id=np.arange(10),
        ),
        path / "trades.parquet",
        TRADE_SCHEMA,
    )
    return path


@pytest.mark.slow
def test_dashboard_serve_run_replays_over_http(tmp_path, loop_thread, capsys):
    run = _run_dir(tmp_path / "run")
    stop = asyncio.Event()
    future = asyncio.run_coroutine_threadsafe(
        serve_run(str(run), duration_s=0.5, until=stop), loop_thread.loop
    )
    url = wait_for(
        lambda: next((w for w in capsys.readouterr().out.split() if w.startswith("http://")), None),
        5,
        "the dashboard URL to be printed",
    )
    try:

        def snapshot():
            return json.loads(urllib.request.urlopen(url + "snapshot", timeout=5).read())

        final = wait_for(lambda: (s := snapshot()).get("finished") and s, 5, "the replay to finish")
        assert final["mode"] == "replay" and final["counters"]["trades"] == 10
        assert final["book"]["bids"] == [[99, 3, None]] and final["has_metrics"] is False
        assert b"<title>hftsim dashboard</title>" in urllib.request.urlopen(url, timeout=5).read()
    finally:
        loop_thread.loop.call_soon_threadsafe(stop.set)
        future.result(5)
