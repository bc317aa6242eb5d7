"""Small LOBSTER files generated in tmp_path."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest


def lobster_lines(num_rows: int, seed: int, levels: int = 2) -> tuple[list[str], list[str]]:
    """Return matching message and orderbook lines in LOBSTER's canonical text form."""
    rng = np.random.default_rng(seed)
    times_ns = 34_200 * 10**9 + np.cumsum(rng.integers(0, 5_000_000, num_rows))
    types = rng.choice([1, 2, 3, 4, 5, 6, 7], size=num_rows, p=[0.4, 0.1, 0.25, 0.15, 0.05, 0.03, 0.02])
    messages, book = [], []
    for i in range(num_rows):
        seconds, fraction = divmod(int(times_ns[i]), 10**9)
        direction = int(rng.choice([-1, 1]))
        if types[i] == 7:
            price, size, order_id = int(rng.choice([-1, 0, 1])), 0, 0
        else:
            price, size, order_id = int(rng.integers(5_000, 5_100)) * 100, int(rng.integers(1, 500)), 1000 + i
        messages.append(f"{seconds}.{fraction:09d},{types[i]},{order_id},{size},{price},{direction}")
        fields = []
        for level in range(levels):
            is_empty = rng.random() < 0.1
            ask = 9999999999 if is_empty else (5_100 + level) * 100
            bid = -9999999999 if is_empty else (5_099 - level) * 100
            ask_size = 0 if is_empty else int(rng.integers(1, 1000))
            bid_size = 0 if is_empty else int(rng.integers(1, 1000))
            fields += [ask, ask_size, bid, bid_size]
        book.append(",".join(str(f) for f in fields))
    return messages, book


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines))
    return path


@pytest.fixture
def lobster_text() -> SimpleNamespace:
    """The helpers above, for tests (conftest modules are not imported by name)."""
    return SimpleNamespace(lobster_lines=lobster_lines, write_lines=write_lines)


@pytest.fixture
def lobster_pair(tmp_path: Path) -> tuple[Path, Path]:
    messages, book = lobster_lines(300, seed=11)
    return (
        write_lines(tmp_path / "XYZ_2012-06-21_34200000_57600000_message_2.csv", messages),
        write_lines(tmp_path / "XYZ_2012-06-21_34200000_57600000_orderbook_2.csv", book),
    )
