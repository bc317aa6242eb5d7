"""``hftsim hawkes`` command line: simulate, fit and diagnose Hawkes samples. Cold path (edge).

Wire it into the main parser with ``from hftsim.flow.hawkes.cli import add_parser`` and
``add_parser(subparsers)``; each subcommand sets ``func`` (``args.func(args)`` returns the exit
code). :func:`main` runs the group on its own (``main(["fit", "events.parquet"])``).

Event files are Parquet with columns ``t_ns`` (int64 ns from 0), ``t`` (float64 seconds) and
``mark`` (int32); the observation horizon is kept in the file metadata (``hawkes.horizon_s``).
Outputs are written to a temporary name and renamed on success. Expected failures (bad files or
parameters) print ``error: ...`` to stderr and return 2, without a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hftsim.core.errors import ConfigError
from hftsim.core.rng import rng_for

__all__ = ["add_parser", "main", "read_events", "read_params", "write_events"]

_HORIZON_KEY = b"hawkes.horizon_s"
_RNG_COMPONENT = "flow.hawkes"


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the ``hawkes`` command and its ``simulate``, ``fit`` and ``diagnose`` subcommands.

    Args:
        subparsers: the result of ``parser.add_subparsers()`` of the main CLI.

    Returns:
        The ``hawkes`` parser.
    """
    hawkes = subparsers.add_parser(
        "hawkes",
        help="simulate, fit and diagnose multivariate Hawkes processes",
        description="Multivariate Hawkes processes with (sums of) exponential kernels.",
    )
    sub = hawkes.add_subparsers(dest="hawkes_command", required=True, metavar="{simulate,fit,diagnose}")

    sim = sub.add_parser(
        "simulate",
        help="simulate events to a Parquet file",
        description="Simulate a Hawkes process exactly (Ogata thinning) and write t_ns, t, mark to Parquet.",
    )
    sim.add_argument("--params", type=Path, help="TOML or JSON file with baselines, norms, decays")
    sim.add_argument("--baselines", help="comma-separated baselines mu, e.g. 0.4,0.3")
    sim.add_argument("--norms", help="norms alpha as rows 'a00,a01;a10,a11' (one decay)")
    sim.add_argument("--decays", help="comma-separated decays beta per second, e.g. 3.0")
    length = sim.add_mutually_exclusive_group(required=True)
    length.add_argument("--horizon", type=float, help="simulate on [0, HORIZON] seconds")
    length.add_argument("--n-events", type=int, help="simulate exactly this many events")
    sim.add_argument("--seed", type=int, required=True, help="run seed (stream 'flow.hawkes')")
    sim.add_argument("--out", type=Path, required=True, help="Parquet file to write")
    sim.set_defaults(func=_guarded(_cmd_simulate))

    fit = sub.add_parser(
        "fit",
        help="fit by maximum likelihood",
        description="Fit mu, alpha and "
        "(by default) the decays by exact maximum likelihood; print estimates "
        "± standard errors.",
    )
    fit.add_argument("events", type=Path, help="Parquet file from 'hawkes simulate'")
    fit.add_argument("--dim", type=int, help="number of dimensions (default: max mark + 1)")
    fit.add_argument("--decays", help="initial (or, with --fix-decays, fixed) decays, comma-separated")
    fit.add_argument("--fix-decays", action="store_true", help="hold the decays at --decays")
    fit.add_argument("--method", choices=("newton", "lbfgs"), default="newton")
    fit.add_argument("--out", type=Path, help="JSON file for the estimates")
    fit.set_defaults(func=_guarded(_cmd_fit))

    diag = sub.add_parser(
        "diagnose",
        help="time-rescaling goodness of fit",
        description="Compute time-rescaled residuals, KS p-values against Exp(1) and a QQ plot.",
    )
    diag.add_argument("events", type=Path, help="Parquet file of events")
    diag.add_argument("--params", type=Path, required=True, help="TOML or JSON parameters (a fit JSON works)")
    diag.add_argument("--qq", type=Path, help="PNG file for the QQ plot")
    diag.add_argument("--out", type=Path, help="JSON file for the p-values")
    diag.set_defaults(func=_guarded(_cmd_diagnose))
    return hawkes


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``hawkes`` command group standalone and return its exit code."""
    parser = argparse.ArgumentParser(prog="hftsim")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["hawkes", *(sys.argv[1:] if argv is None else argv)])
    return args.func(args)


def _guarded(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except ConfigError as e:
            print(f"error: {e}", file=sys.stderr)
        except OSError as e:
            print(f"error: {e.strerror or e} ({e.filename or ''})", file=sys.stderr)
        return 2

    run.__doc__ = command.__doc__
    return run


def _cmd_simulate(args: argparse.Namespace) -> int:
    from hftsim.flow.hawkes.simulate import simulate, simulate_n

    params = _params_from_args(args)
    rng = rng_for(args.seed, _RNG_COMPONENT)
    if args.horizon is not None:
        times, marks = simulate(params, args.horizon, rng)
        horizon = float(args.horizon)
    else:
        times, marks = simulate_n(params, args.n_events, rng)
        horizon = float(times[-1])
    write_events(args.out, times, marks, horizon)
    print(f"wrote {times.size} events on [0, {horizon:.6g}] s to {args.out}")
    return 0


def _cmd_fit(args: argparse.Namespace) -> int:
    from hftsim.flow.hawkes.fit import fit

    times, marks, horizon = read_events(args.events)
    decays = _floats(args.decays, "--decays") if args.decays else None
    if args.fix_decays and decays is None:
        raise ConfigError("--fix-decays needs --decays")
    result = fit(
        times,
        marks,
        dim=args.dim,
        decays=decays,
        fit_decays=not args.fix_decays,
        horizon_s=horizon,
        method=args.method,
    )
    print(_estimate_table(result))
    if args.out is not None:
        _write_atomic(args.out, json.dumps(result.to_dict(), indent=2).encode())
    return 0 if result.converged else 1


def _cmd_diagnose(args: argparse.Namespace) -> int:
    from scipy import stats

    from hftsim.flow.hawkes.diagnostics import qq_plot, residuals

    params = read_params(args.params)
    times, marks, horizon = read_events(args.events)
    res = residuals(params, times, marks, horizon)
    pvalues = [float(stats.kstest(r, "expon").pvalue) if r.size else float("nan") for r in res]
    print(f"{'dim':>4} {'events':>10} {'mean resid':>11} {'KS p-value':>11}")
    for i, (r, p) in enumerate(zip(res, pvalues)):
        print(f"{i:>4} {r.size:>10} {r.mean() if r.size else float('nan'):>11.4f} {p:>11.4g}")
    if args.qq is not None:
        qq_plot(res, args.qq, title=f"Hawkes residuals: {args.events.name}")
    if args.out is not None:
        _write_atomic(
            args.out,
            json.dumps({"ks_pvalues": pvalues, "n_events": [int(r.size) for r in res]}, indent=2).encode(),
        )
    return 0


def read_params(path: Path) -> Any:
    """Read :class:`HawkesParams` from a TOML or JSON file (a ``params`` table is accepted).

    Raises:
        ConfigError: if the file cannot be parsed or the values are invalid.
    """
    from hftsim.flow.hawkes.params import HawkesParams

    raw = Path(path).read_bytes()
    try:
        table = json.loads(raw) if Path(path).suffix.lower() == ".json" else tomllib.loads(raw.decode())
    except (ValueError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot parse parameters: {e}") from e
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: expected a table with baselines, norms and decays")
    return HawkesParams.from_mapping(table, source=str(path))


def write_events(path: Path, times: np.ndarray, marks: np.ndarray, horizon_s: float) -> None:
    """Write events to Parquet (``t_ns`` int64, ``t`` float64, ``mark`` int32), atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "t_ns": pa.array(np.rint(times * 1e9).astype(np.int64)),
            "t": pa.array(np.asarray(times, dtype=np.float64)),
            "mark": pa.array(np.asarray(marks, dtype=np.int32)),
        }
    ).replace_schema_metadata({_HORIZON_KEY: repr(float(horizon_s)).encode()})
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read_events(path: Path) -> tuple[np.ndarray, np.ndarray, float | None]:
    """Read ``(times, marks, horizon_s or None)`` from a Parquet event file.

    Raises:
        ConfigError: if the file is not Parquet or lacks the ``t``/``t_ns`` and ``mark`` columns.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, pa.ArrowIOError) as e:
        if isinstance(e, FileNotFoundError):
            raise
        raise ConfigError(f"{path}: not a readable Parquet event file: {e}") from e
    names = set(table.column_names)
    if "mark" not in names or not names & {"t", "t_ns"}:
        raise ConfigError(f"{path}: expected columns t (or t_ns) and mark, found {sorted(names)}")
    times = (
        table.column("t").to_numpy()
        if "t" in names
        else table.column("t_ns").to_numpy().astype(np.float64) * 1e-9
    )
    marks = table.column("mark").to_numpy().astype(np.int64)
    meta = table.schema.metadata or {}
    horizon = float(meta[_HORIZON_KEY]) if _HORIZON_KEY in meta else None
    return np.asarray(times, dtype=np.float64), marks, horizon


def _params_from_args(args: argparse.Namespace) -> Any:
    from hftsim.flow.hawkes.params import HawkesParams

    flags = (args.baselines, args.norms, args.decays)
    if args.params is not None:
        if any(f is not None for f in flags):
            raise ConfigError("give either --params FILE or --baselines/--norms/--decays, not both")
        return read_params(args.params)
    if any(f is None for f in flags):
        raise ConfigError("need --params FILE, or all of --baselines, --norms and --decays")
    norms = [_floats(row, "--norms") for row in args.norms.split(";")]
    return HawkesParams.create(
        _floats(args.baselines, "--baselines"), norms, _floats(args.decays, "--decays"), source="flags"
    )


def _floats(text: str, source: str) -> list[float]:
    try:
        return [float(x) for x in text.replace(" ", "").split(",") if x]
    except ValueError as e:
        raise ConfigError(f"{source}: expected comma-separated numbers, got {text!r}") from e


def _estimate_table(result: Any) -> str:
    d, n_u = result.baselines.size, result.decays.size
    rows = [f"{'parameter':<16} {'estimate':>12} {'std error':>12}"]
    rows += [
        f"{f'mu[{i}]':<16} {result.baselines[i]:>12.6g} {result.baselines_se[i]:>12.3g}" for i in range(d)
    ]
    rows += [
        f"{f'alpha[{i},{j},{u}]':<16} {result.norms[i, j, u]:>12.6g} {result.norms_se[i, j, u]:>12.3g}"
        for i in range(d)
        for j in range(d)
        for u in range(n_u)
    ]
    rows += [f"{f'beta[{u}]':<16} {result.decays[u]:>12.6g} {result.decays_se[u]:>12.3g}" for u in range(n_u)]
    rows.append(
        f"log-likelihood {result.log_likelihood:.6f}  events {result.n_events}  iterations "
        f"{result.n_iter}  converged {result.converged}  spectral radius {result.spectral_radius:.4f}"
    )
    return "\n".join(rows)


def _write_atomic(path: Path, data: bytes) -> None:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
