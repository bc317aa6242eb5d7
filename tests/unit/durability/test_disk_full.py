"""A journal that cannot write (the kernel refuses: a full disk or a file-size limit) stops loudly.

The writer runs in a subprocess whose file-size limit (RLIMIT_FSIZE) makes the kernel fail the
write that would cross it, as it does on a full disk; SIGXFSZ is ignored so the write returns an
error instead of killing the process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from hftsim.core import COMMAND_DTYPE
from hftsim.journal import JournalReader

CHILD = textwrap.dedent(
    """
    import json, resource, signal, sys
    import numpy as np
    from hftsim.core import COMMAND_DTYPE
    from hftsim.core.errors import JournalError
    from hftsim.journal import FsyncPolicy, JournalWriter

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    writer = JournalWriter(sys.argv[1], run_seed=7, fsync_policy=FsyncPolicy.EVERY_BATCH)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, resource.RLIM_INFINITY))
    durable, seq = 0, 1
    try:
        while seq < 100_000:
            batch = np.zeros(100, dtype=COMMAND_DTYPE)
            batch["seq"] = np.arange(seq, seq + 100)
            batch["qty"] = batch["seq"]
            writer.append_batch(batch)
            writer.sync()
            durable, seq = writer.durable_seq, seq + 100
        print(json.dumps({"error": None}))
    except JournalError as e:
        print(json.dumps({"error": str(e), "durable": durable}))
    """
)


@pytest.mark.slow
def test_journal_disk_full_stops_the_writer_with_a_clear_error_and_keeps_what_was_durable(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["error"] is not None, "the writer never hit the limit"
    assert "write failed" in report["error"] and "journal-000000000001.hfj" in report["error"]
    assert "the writer is stopped" in report["error"]
    reader = JournalReader(tmp_path)
    reader.recover_tail()  # the refused write may have left a partial record at the tail
    records = reader.read_all()
    assert len(records) >= report["durable"] > 0
    np.testing.assert_array_equal(records["seq"][: report["durable"]], np.arange(1, report["durable"] + 1))
    assert (records["qty"] == records["seq"]).all()
    assert records.dtype == COMMAND_DTYPE
