"""The ``hawkes`` command group in-process: simulate -> fit -> diagnose, and clean failures."""

import argparse
import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from hftsim.flow.hawkes.cli import add_parser, read_events

PARAMS_TOML = """
baselines = [0.4, 0.3]
norms = [[0.5, 0.2], [0.3, 0.4]]
decays = [3.0]
"""


def _run(argv):
    parser = argparse.ArgumentParser(prog="hftsim")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["hawkes", *argv])
    return args.func(args)


@pytest.mark.slow
def test_cli_round_trip_simulate_fit_diagnose(tmp_path, capsys):
    (tmp_path / "p.toml").write_text(PARAMS_TOML)
    events, fitted, report, png = (tmp_path / n for n in ("ev.parquet", "fit.json", "d.json", "qq.png"))
    assert (
        _run(
            [
                "simulate",
                "--params",
                str(tmp_path / "p.toml"),
                "--horizon",
                "4000",
                "--seed",
                "3",
                "--out",
                str(events),
            ]
        )
        == 0
    )
    table = pq.read_table(events)
    assert table.schema.field("t_ns").type == "int64" and table.schema.field("mark").type == "int32"
    t_ns = table.column("t_ns").to_numpy()
    np.testing.assert_array_equal(t_ns, np.rint(table.column("t").to_numpy() * 1e9).astype(np.int64))
    assert read_events(events)[2] == 4000.0

    assert _run(["fit", str(events), "--out", str(fitted)]) == 0
    out = capsys.readouterr().out
    assert "alpha[0,1,0]" in out and "beta[0]" in out
    estimate = json.loads(fitted.read_text())
    assert estimate["converged"] and estimate["n_events"] == table.num_rows
    assert abs(estimate["params"]["decays"][0] - 3.0) < 5 * estimate["std_errors"]["decays"][0]

    assert (
        _run(["diagnose", str(events), "--params", str(fitted), "--qq", str(png), "--out", str(report)]) == 0
    )
    pvalues = json.loads(report.read_text())["ks_pvalues"]
    assert len(pvalues) == 2 and min(pvalues) > 1e-3
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "d.json",
        "ev.parquet",
        "fit.json",
        "p.toml",
        "qq.png",
    ]


def test_cli_simulate_from_flags_n_events(tmp_path):
    out = tmp_path / "ev.parquet"
    assert (
        _run(
            [
                "simulate",
                "--baselines",
                "0.4,0.3",
                "--norms",
                "0.5,0.2;0.3,0.4",
                "--decays",
                "3",
                "--n-events",
                "500",
                "--seed",
                "1",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert pq.read_table(out).num_rows == 500


def test_cli_non_stationary_flags_fail_cleanly(tmp_path, capsys):
    out = tmp_path / "ev.parquet"
    code = _run(
        [
            "simulate",
            "--baselines",
            "0.4,0.3",
            "--norms",
            "1.07,0;0.3,0.4",
            "--decays",
            "3",
            "--n-events",
            "10",
            "--seed",
            "1",
            "--out",
            str(out),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "non-stationary: spectral radius 1.07 >= 1" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("content", [b"not parquet", b""])
def test_cli_fit_bad_file_fails_cleanly(tmp_path, capsys, content):
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(content)
    assert _run(["fit", str(bad), "--out", str(tmp_path / "f.json")]) == 2
    assert "error:" in capsys.readouterr().err
    assert not (tmp_path / "f.json").exists()


def test_cli_diagnose_missing_params_file_fails_cleanly(tmp_path, capsys):
    assert _run(["diagnose", str(tmp_path / "ev.parquet"), "--params", str(tmp_path / "none.toml")]) == 2
    assert "No such file" in capsys.readouterr().err


def test_cli_bad_toml_fails_cleanly(tmp_path, capsys):
    (tmp_path / "p.toml").write_text(
        "baselines = [0.4, -0.3]\nnorms = [[0.1, 0], [0, 0.1]]\ndecays = [1.0]\n"
    )
    code = _run(
        [
            "simulate",
            "--params",
            str(tmp_path / "p.toml"),
            "--horizon",
            "10",
            "--seed",
            "1",
            "--out",
            str(tmp_path / "x.parquet"),
        ]
    )
    assert code == 2 and "baselines[1] = -0.3" in capsys.readouterr().err


@pytest.mark.parametrize("sub", ["simulate", "fit", "diagnose"])
def test_cli_subcommand_help_exits_zero(sub, capsys):
    with pytest.raises(SystemExit) as e:
        _run([sub, "--help"])
    assert e.value.code == 0 and "usage:" in capsys.readouterr().out
