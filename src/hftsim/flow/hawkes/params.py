"""Parameters of a multivariate Hawkes process with sum-of-exponential kernels. Cold path.

Model (Hawkes 1971)::

    lambda_i(t) = mu_i + sum_j sum_{t_k^j < t} phi_ij(t - t_k^j)
    phi_ij(t)   = sum_u alpha_iju * beta_u * exp(-beta_u * t)

``alpha_iju >= 0`` is the norm (integral) of the ``u``-th exponential of the kernel from
dimension ``j`` to dimension ``i``; ``beta_u > 0`` are ``U`` decays (per second) shared by all
pairs. The exponential kernel is the case ``U = 1``. The branching matrix is
``A_ij = sum_u alpha_iju``; the process is stationary iff its spectral radius is below one, and then
the stationary intensity is ``Lambda = (I - A)^{-1} mu`` (Hawkes 1971; Bacry, Mastromatteo & Muzy
2015, section 2).

Power-law kernels are approximated by a sum of exponentials on a geometric grid of decays
(:func:`power_law_sum_of_exponentials`), after Bochud & Challet (2007) and as used for the
Hardiman, Bercot & Bouchaud (2013) kernel ``phi(t) = n * eps * delta^eps / (t + delta)^(1 + eps)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import msgspec
import numpy as np

from hftsim.core.errors import ConfigError

__all__ = [
    "HawkesParams",
    "branching_matrix",
    "power_law_sum_of_exponentials",
    "spectral_radius",
    "stationary_intensity",
]


class HawkesParams(msgspec.Struct, frozen=True, kw_only=True):
    """Validated parameters of a ``D``-dimensional Hawkes process with ``U`` shared decays.

    Build with :meth:`create` (accepts ``D x D`` norms when there is one decay) or
    :meth:`from_mapping` (TOML/JSON tables). Direct construction validates too.

    Attributes:
        baselines: ``mu``, shape ``(D,)``, events per second, all > 0.
        norms: ``alpha``, nested ``(D, D, U)``: ``norms[i][j][u]`` is the norm of the ``u``-th
            exponential of the kernel from ``j`` (source) to ``i`` (target), all >= 0.
        decays: ``beta``, shape ``(U,)``, per second, all > 0.
    """

    baselines: tuple[float, ...]
    norms: tuple[tuple[tuple[float, ...], ...], ...]
    decays: tuple[float, ...]

    def __post_init__(self) -> None:
        _validate(self.mu, self.alpha, self.beta, source="HawkesParams")

    @classmethod
    def create(cls, baselines: Any, norms: Any, decays: Any, *, source: str = "HawkesParams") -> HawkesParams:
        """Build parameters from array-likes; ``norms`` may be ``(D, D)`` when there is one decay.

        Args:
            baselines: ``(D,)`` baseline intensities per second.
            norms: ``(D, D, U)`` kernel norms, or ``(D, D)`` with a single decay.
            decays: a scalar or ``(U,)`` decays per second.
            source: where the values came from, quoted in error messages.

        Returns:
            The validated parameters.

        Raises:
            ConfigError: on bad shapes, non-finite, non-positive baselines or decays, negative
                norms, or a branching matrix with spectral radius >= 1.
        """
        try:
            mu = np.atleast_1d(np.asarray(baselines, dtype=np.float64))
            beta = np.atleast_1d(np.asarray(decays, dtype=np.float64))
            alpha = np.asarray(norms, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise ConfigError(f"{source}: parameters must be numeric arrays: {e}") from e
        if alpha.ndim == 2:
            if beta.shape != (1,):
                raise ConfigError(
                    f"{source}.norms: a (D, D) matrix needs exactly one decay, got decays={beta.tolist()}; "
                    "give norms as (D, D, U) for U decays"
                )
            alpha = alpha[:, :, None]
        _validate(mu, alpha, beta, source=source)
        return cls(
            baselines=tuple(float(x) for x in mu),
            norms=tuple(tuple(tuple(float(x) for x in row_u) for row_u in row) for row in alpha),
            decays=tuple(float(x) for x in beta),
        )

    @classmethod
    def from_mapping(cls, table: Mapping[str, Any], *, source: str = "params") -> HawkesParams:
        """Build parameters from a table with keys ``baselines``, ``norms`` and ``decays``.

        A ``params`` sub-table (as written by ``hftsim hawkes fit``) is used when present.

        Args:
            table: the mapping, e.g. a parsed TOML or JSON document.
            source: where the table came from, quoted in error messages.

        Returns:
            The validated parameters.

        Raises:
            ConfigError: when a key is missing or a value is invalid.
        """
        if "params" in table and isinstance(table["params"], Mapping):
            table, source = table["params"], f"{source}.params"
        missing = [k for k in ("baselines", "norms", "decays") if k not in table]
        if missing:
            raise ConfigError(f"{source}: missing key(s) {missing}; expected baselines, norms and decays")
        return cls.create(table["baselines"], table["norms"], table["decays"], source=source)

    @classmethod
    def from_power_law(
        cls,
        baselines: Any,
        norms: Any,
        exponent: float,
        cutoff_s: float,
        n_decays: int = 12,
        decay_range: tuple[float, float] | None = None,
    ) -> HawkesParams:
        """Build ``phi_ij(t) ~= n_ij eps delta^eps / (t + delta)^(1+eps)`` as a sum of exponentials.

        Args:
            baselines: ``(D,)`` baseline intensities per second.
            norms: ``(D, D)`` branching ratios ``n_ij`` (kernel integrals).
            exponent: tail exponent ``eps`` > 0.
            cutoff_s: short-time cut-off ``delta`` > 0 in seconds.
            n_decays: number of exponentials.
            decay_range: ``(beta_min, beta_max)``, see :func:`power_law_sum_of_exponentials`.

        Returns:
            Parameters with ``alpha_iju = n_ij w_u`` on the geometric grid of decays.

        Raises:
            ConfigError: as :meth:`create` and :func:`power_law_sum_of_exponentials`.
        """
        weights, decays = power_law_sum_of_exponentials(exponent, cutoff_s, n_decays, decay_range)
        n = np.asarray(norms, dtype=np.float64)
        if n.ndim != 2:
            raise ConfigError(f"from_power_law: norms must be a (D, D) matrix, got shape {n.shape}")
        return cls.create(baselines, n[:, :, None] * weights, decays, source="from_power_law")

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON/TOML-ready dict with nested lists (inverse of :meth:`from_mapping`)."""
        return {
            "baselines": list(self.baselines),
            "norms": [[list(u) for u in row] for row in self.norms],
            "decays": list(self.decays),
        }

    @property
    def dim(self) -> int:
        """Number of dimensions ``D``."""
        return len(self.baselines)

    @property
    def n_decays(self) -> int:
        """Number of exponentials ``U`` per kernel."""
        return len(self.decays)

    @property
    def mu(self) -> np.ndarray:
        """Baselines as a float64 array ``(D,)``."""
        return np.asarray(self.baselines, dtype=np.float64)

    @property
    def alpha(self) -> np.ndarray:
        """Norms as a float64 array ``(D, D, U)``."""
        return np.asarray(self.norms, dtype=np.float64).reshape(self.dim, self.dim, self.n_decays)

    @property
    def beta(self) -> np.ndarray:
        """Decays as a float64 array ``(U,)``."""
        return np.asarray(self.decays, dtype=np.float64)


def _validate(mu: np.ndarray, alpha: np.ndarray, beta: np.ndarray, *, source: str) -> None:
    if mu.ndim != 1 or mu.size == 0:
        raise ConfigError(f"{source}.baselines: expected a non-empty 1-D list, got shape {mu.shape}")
    d = mu.size
    if beta.ndim != 1 or beta.size == 0:
        raise ConfigError(f"{source}.decays: expected a non-empty 1-D list, got shape {beta.shape}")
    if alpha.shape != (d, d, beta.size):
        raise ConfigError(
            f"{source}.norms: expected shape (D, D, U) = ({d}, {d}, {beta.size}), got {alpha.shape}"
        )
    for name, arr in (("baselines", mu), ("norms", alpha), ("decays", beta)):
        if not np.all(np.isfinite(arr)):
            raise ConfigError(f"{source}.{name}: values must be finite, got {arr.tolist()}")
    for name, arr in (("baselines", mu), ("decays", beta)):
        bad = np.flatnonzero(arr <= 0)
        if bad.size:
            raise ConfigError(f"{source}.{name}[{int(bad[0])}] = {float(arr[bad[0]])!r}: must be > 0")
    bad3 = np.argwhere(alpha < 0)
    if bad3.size:
        i, j, u = (int(x) for x in bad3[0])
        raise ConfigError(f"{source}.norms[{i}][{j}][{u}] = {float(alpha[i, j, u])!r}: must be >= 0")
    rho = spectral_radius(alpha)
    if not rho < 1.0:
        raise ConfigError(
            f"{source}.norms: non-stationary: spectral radius {rho:.4g} >= 1 of the branching matrix "
            f"{np.round(alpha.sum(axis=2), 6).tolist()}; scale the norms down"
        )


def branching_matrix(params_or_norms: HawkesParams | np.ndarray) -> np.ndarray:
    """Return ``A_ij = sum_u alpha_iju``, the mean number of ``i`` children of one ``j`` event.

    Args:
        params_or_norms: parameters, or a ``(D, D, U)`` / ``(D, D)`` norms array.

    Returns:
        The ``(D, D)`` branching matrix.
    """
    alpha = (
        params_or_norms.alpha if isinstance(params_or_norms, HawkesParams) else np.asarray(params_or_norms)
    )
    return alpha.sum(axis=2) if alpha.ndim == 3 else np.array(alpha, dtype=np.float64)


def spectral_radius(params_or_norms: HawkesParams | np.ndarray) -> float:
    """Return the spectral radius of the branching matrix (stationary iff < 1)."""
    return float(np.max(np.abs(np.linalg.eigvals(branching_matrix(params_or_norms)))))


def stationary_intensity(params: HawkesParams) -> np.ndarray:
    """Return the stationary mean intensity ``Lambda = (I - A)^{-1} mu`` (events per second)."""
    a = branching_matrix(params)
    return np.linalg.solve(np.eye(params.dim) - a, params.mu)


def power_law_sum_of_exponentials(
    exponent: float,
    cutoff_s: float,
    n_decays: int = 12,
    decay_range: tuple[float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Approximate the power-law density ``f(t) = eps delta^eps / (t + delta)^(1 + eps)``.

    Construction: ``(t + delta)^-(1+eps) = 1/Gamma(1+eps) * int_0^inf s^eps e^{-s (t + delta)} ds``
    (a Laplace transform), discretized by the rectangle rule in ``log s`` on the geometric grid
    ``beta_u = beta_min * r^u``::

        f(t) ~= sum_u w_u beta_u e^{-beta_u t},
        w_u  ∝ beta_u^(1+eps) e^{-beta_u delta} (log r) / beta_u

    then ``w`` is rescaled to sum to one, so ``n * w`` are kernel norms of total branching ratio
    ``n`` (Bochud & Challet 2007, "Optimal approximations of power laws with exponentials";
    kernel shape of Hardiman, Bercot & Bouchaud 2013).

    Args:
        exponent: ``eps`` > 0, the tail exponent.
        cutoff_s: ``delta`` > 0 in seconds, the short-time cut-off.
        n_decays: number of exponentials ``U`` (>= 2).
        decay_range: ``(beta_min, beta_max)`` per second; default ``(1e-3, 10) / delta``.

    Returns:
        ``(weights, decays)``: ``weights`` ``(U,)`` summing to 1 and ``decays`` ``(U,)``.

    Raises:
        ConfigError: for non-positive exponent, cut-off, range or fewer than two decays.
    """
    if not exponent > 0:
        raise ConfigError(f"power law exponent = {exponent!r}: must be > 0")
    if not cutoff_s > 0:
        raise ConfigError(f"power law cutoff_s = {cutoff_s!r}: must be > 0")
    if n_decays < 2:
        raise ConfigError(f"power law n_decays = {n_decays!r}: must be >= 2")
    lo, hi = decay_range if decay_range is not None else (1e-3 / cutoff_s, 10.0 / cutoff_s)
    if not 0 < lo < hi:
        raise ConfigError(f"power law decay_range = {(lo, hi)!r}: need 0 < beta_min < beta_max")
    decays = np.geomspace(lo, hi, n_decays)
    log_step = math.log(hi / lo) / (n_decays - 1)
    log_w = exponent * np.log(decays) - decays * cutoff_s + math.log(log_step)
    weights = np.exp(log_w - log_w.max())
    return weights / weights.sum(), decays
