"""hftsim's own initiator and load generator against the venue (bounded, small rates)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from hftsim.net.client import FixInitiator, run_load


def test_initiator_order_round_trip_and_logout(venue):
    async def main():
        client = await FixInitiator.connect("127.0.0.1", venue.port, "A", "HFTSIM", reset_seq_num=True)
        client.send_new_order("i1", "SIM", "buy", 5, "3.00")
        report = await client.next_message(5.0, msg_type="8")
        await client.logout()
        return report

    report = asyncio.run(main())
    assert (report.get(150), report.get(11)) == (b"0", b"i1")


def test_load_generator_bounded_run_counts_every_ack(venue):
    result = asyncio.run(
        run_load(
            "127.0.0.1",
            venue.port,
            sender_comp_id="B",
            target_comp_id="HFTSIM",
            rate_msgs_per_s=2_000,
            duration_s=0.2,
            warmup_msgs=20,
        )
    )
    assert result.lost_orders == 0 and result.rejected_orders == 0
    assert result.acked_orders == result.sent_orders <= 200  # fewer when the time bound cut the run short
    assert result.sent_msgs + result.unsent_msgs == result.offered_msgs == 400
    assert result.rtt_p50_us > 0 and result.rtt_max_us >= result.rtt_p99_us


def test_venue_load_command_prints_arrival_and_read_round_trips(venue):
    hftsim = shutil.which("hftsim", path=str(Path(sys.executable).parent)) or "hftsim"
    base = [hftsim, "venue", "load", "--port", str(venue.port), "--sender", "B", "--target", "HFTSIM"]
    base += ["--rate", "2000", "--duration", "0.2"]
    wide = {**os.environ, "COLUMNS": "250"}  # one line per header however rich sizes a pipe
    table = subprocess.run(base, capture_output=True, text=True, timeout=60, env=wide)
    assert table.returncode == 0, table.stderr
    assert "ack arrived" in table.stdout and "read p99" in table.stdout
    done = subprocess.run([*base, "--json"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["lost_orders"] == 0 and result["acked_orders"] == result["sent_orders"] > 0
    assert 0 < result["rtt_p99_us"] <= result["rtt_read_p99_us"]
