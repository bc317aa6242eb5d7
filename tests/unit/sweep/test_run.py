import json
import time

import pyarrow.parquet as pq
import pytest

from hftsim.core.errors import ConfigError
from hftsim.sweep import connect, load_sweep, plan, run_sweep
from hftsim.sweep.cli import main
from tests.unit.sweep.conftest import write_sweep

GRID = 'seeds = 2\n[grid]\n"agents.probe.label" = ["a", "b"]\n'


def _quiet(reports):
    return dict(progress=False, wall_clock=time.perf_counter, report=reports.append)


@pytest.mark.slow
def test_run_sweep_writes_one_row_per_run_and_a_summary(tmp_path, thread_client, starts):
    reports = []
    spec = load_sweep(write_sweep(tmp_path, GRID, with_probe=True))
    result = run_sweep(spec, tmp_path / "out", client=thread_client, **_quiet(reports))
    assert (result.n_tasks, result.n_run, result.n_skipped, result.failures, reports) == (4, 4, 0, [], [])
    rows = pq.read_table(result.results_path).to_pylist()
    assert [(r["point"], r["seed_index"], r["param.agents.probe.label"]) for r in rows] == [
        (0, 0, "a"),
        (0, 1, "a"),
        (1, 0, "b"),
        (1, 1, "b"),
    ]
    assert all(r["events"] > 0 and r["wall_s"] > 0 and r["trades"] >= 0 for r in rows)
    summary = pq.read_table(result.summary_path).to_pylist()
    assert [s["runs"] for s in summary] == [2, 2]
    assert summary[0]["trades_mean"] == pytest.approx((rows[0]["trades"] + rows[1]["trades"]) / 2)
    assert starts == {"a": 2, "b": 2}


@pytest.mark.slow
def test_run_sweep_failing_task_is_retried_once_then_reported(tmp_path, thread_client, starts):
    reports = []
    body = 'seeds = 1\n[grid]\n"agents.probe.explode" = [false, true]\n"agents.probe.label" = ["x"]\n'
    spec = load_sweep(write_sweep(tmp_path, body, with_probe=True))
    result = run_sweep(spec, tmp_path / "out", client=thread_client, **_quiet(reports))
    assert starts == {"x": 3}  # the good task once, the broken one twice
    assert [f.params for f in result.failures] == [{"agents.probe.explode": True, "agents.probe.label": "x"}]
    assert result.failures[0].attempts == 2 and "exploded on purpose" in result.failures[0].error
    assert len(reports) == 2 and "retrying" in reports[0] and "giving up" in reports[1]
    assert '"agents.probe.explode":true' in reports[0] and "Traceback" in reports[0]
    assert pq.read_table(result.results_path).num_rows == 1
    assert json.loads((tmp_path / "out" / "failures.json").read_text())[0]["attempts"] == 2


@pytest.mark.slow
def test_run_sweep_again_skips_done_tasks(tmp_path, thread_client, starts):
    spec = load_sweep(write_sweep(tmp_path, GRID, with_probe=True))
    out = tmp_path / "out"
    first = run_sweep(spec, out, client=thread_client, **_quiet([]))
    assert sum(starts.values()) == 4
    columns = [c for c in pq.read_table(first.results_path).column_names if c != "wall_s"]
    before = pq.read_table(first.results_path, columns=columns)
    starts.clear()
    again = run_sweep(spec, out, client=thread_client, **_quiet([]))
    assert (sum(starts.values()), again.n_skipped, again.n_run) == (0, 4, 0)
    (out / "tasks" / first_task_id(spec) / "result.json").unlink()  # as if interrupted before it finished
    resumed = run_sweep(spec, out, client=thread_client, **_quiet([]))
    assert (sum(starts.values()), resumed.n_skipped, resumed.n_run) == (1, 3, 1)
    after = pq.read_table(resumed.results_path, columns=columns)
    assert _same(after, before)


def _same(a, b):
    """Tables equal value by value, NaN equal to NaN (Table.equals treats NaN as unequal)."""
    return a.schema == b.schema and json.dumps(a.to_pylist()) == json.dumps(b.to_pylist())


def first_task_id(spec):
    return plan(spec).tasks[0].task_id


def test_run_sweep_other_sweep_in_out_dir_is_refused_before_running(tmp_path, thread_client, starts):
    spec = load_sweep(write_sweep(tmp_path, GRID, with_probe=True))
    out = tmp_path / "out"
    out.mkdir()
    (out / "sweep.json").write_text('{"fingerprint": "another"}')
    with pytest.raises(ConfigError, match="another base scenario"):
        run_sweep(spec, out, client=thread_client, **_quiet([]))
    assert starts == {}


@pytest.mark.parametrize(
    ("body", "found"),
    [
        ('[grid]\n"agents.probe.params.nope" = [1]\n', "sweep_probe rejected its parameters"),
        ('[grid]\n"flows.0.rate" = [1]\n', "flows[0].rate: unknown key"),
        ("[grid]\n", "grid: expected a table"),
        ('[grid]\n"agents.probe.label" = []\n', "non-empty list"),
    ],
)
def test_cli_bad_input_exits_2_before_any_task_without_traceback(tmp_path, capsys, starts, body, found):
    path = write_sweep(tmp_path, body, with_probe=True)
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert found in err and "Traceback" not in err
    assert starts == {} and not (tmp_path / "out").exists()


@pytest.mark.slow
def test_cli_unreachable_scheduler_exits_2_quickly(tmp_path, capsys, starts):
    path = write_sweep(tmp_path, GRID, with_probe=True)
    started = time.perf_counter()
    code = main(
        [
            "sweep",
            str(path),
            "--out",
            str(tmp_path / "out"),
            "--scheduler",
            "tcp://127.0.0.1:9",
            "--timeout",
            "1",
            "--no-progress",
        ]
    )
    assert code == 2 and time.perf_counter() - started < 15
    err = capsys.readouterr().err
    assert "cannot connect within 1 s" in err and "Traceback" not in err
    assert starts == {}


@pytest.mark.slow
def test_connect_unreachable_scheduler_raises_config_error():
    with pytest.raises(ConfigError, match="tcp://127.0.0.1:9"):
        connect("tcp://127.0.0.1:9", timeout_s=0.5)


@pytest.mark.slow
def test_results_identical_with_one_and_two_worker_processes(tmp_path):
    from distributed import Client, LocalCluster

    body = 'seed = 11\nseeds = 3\nduration_s = 3\n[grid]\n"flows.noise.limit_rate" = [0.1, 0.2, 0.4]\n'
    (tmp_path / "s.toml").write_text('scenario = "quick"\n' + body)
    spec = load_sweep(tmp_path / "s.toml")
    tables = []
    for n in (1, 2):
        with (
            LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                scheduler_kwargs={"dashboard": False},
            ) as cluster,
            Client(cluster) as client,
        ):
            result = run_sweep(spec, tmp_path / f"out{n}", client=client, **_quiet([]))
            assert len(client.scheduler_info()["workers"]) == n
        table = pq.read_table(result.results_path)
        tables.append(table.drop_columns(["wall_s"]))
    assert tables[0].num_rows == 9
    assert _same(tables[0], tables[1])
