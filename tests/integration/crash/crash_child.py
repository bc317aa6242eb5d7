"""A journaled venue fed by the seeded workload, for the crash tests to SIGKILL. Run as a script.

Usage: crash_child.py DIR SEED N MODE CHECKPOINT_EVERY

Writes to stdout, one line each, flushed: ``start SHADOW_PID`` once, ``progress SEQ`` every 50
commands, and ``ack SEQ`` whenever every command up to SEQ is durable (acknowledged). The parent
kills it at a moment of its choosing.
"""

from __future__ import annotations

import itertools
import sys

from hftsim.bench.workload import bench_instruments, engine_workload
from hftsim.journal import AckMode, FsyncPolicy, JournaledVenue, RetentionPolicy

N_SYMBOLS = 3


def main() -> None:
    directory, seed, n, mode, checkpoint_every = (
        sys.argv[1],
        int(sys.argv[2]),
        int(sys.argv[3]),
        sys.argv[4],
        int(sys.argv[5]),
    )
    commands = engine_workload(n, N_SYMBOLS, seed)
    clock = itertools.count(1_000, 1_000)
    venue = JournaledVenue(
        directory,
        lambda: next(clock),
        bench_instruments(N_SYMBOLS),
        seed,
        mode=AckMode.DURABLE if mode == "durable" else AckMode.GROUP_COMMIT,
        fsync_policy=FsyncPolicy.EVERY_BATCH,
        group_records=128,
        segment_bytes=64 + 76 * 3000,
        checkpointer=RetentionPolicy(keep_last=2) if checkpoint_every else None,
        checkpoint_every=checkpoint_every,
        extra_state=lambda: {"fed": venue.last_seq},
    )
    if venue.shadow is not None and not venue.shadow.wait_ready(60):
        raise SystemExit("the shadow checkpointer did not start")
    out = sys.stdout
    out.write(f"start {venue.shadow.pid if venue.shadow else 0}\n")
    out.flush()
    if mode == "durable":
        for start in range(0, n, 25):
            venue.submit_batch(commands[start : start + 25])  # returns once durable
            out.write(f"ack {venue.last_seq}\nprogress {venue.last_seq}\n")
            out.flush()
    else:
        for row in commands.tolist():
            venue.submit_record(row)
            if venue.last_seq % 50 == 0:
                out.write(f"progress {venue.last_seq}\n")
                out.flush()
            if venue.last_seq % 500 == 0 and venue.wait_durable(timeout_s=10):
                out.write(f"ack {venue.last_seq}\n")
                out.flush()
    venue.close()
    out.write("done\n")
    out.flush()


if __name__ == "__main__":
    main()
