"""Compiled (numba) kernels for Hawkes simulation, likelihood and compensators. Hot path.

All kernels use the sum-of-exponentials state of Ozaki (1979): for each source dimension ``j``
and decay ``u``::

    S0_ju(t) = sum_{t_l^j < t} e^{-beta_u (t - t_l)}
    S1_ju(t) = sum_{t_l^j < t} (t - t_l) e^{-beta_u (t - t_l)}        (= -dS0/dbeta)
    S2_ju(t) = sum_{t_l^j < t} (t - t_l)^2 e^{-beta_u (t - t_l)}      (=  d2S0/dbeta2)

which move from one event to the next in O(D U) work::

    S2 <- e (S2 + 2 dt S1 + dt^2 S0),  S1 <- e (S1 + dt S0),  S0 <- e S0,   e = e^{-beta_u dt}

so ``lambda_i(t) = mu_i + sum_ju alpha_iju beta_u S0_ju(t)`` and the whole log-likelihood, its
gradient and its Hessian cost one O(n D U) pass. Parameter vector layout (raw scale):
``[mu (D), alpha (D*D*U, C order i, j, u), beta (U)]``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["compensator_residuals", "loglik_pass", "simulate_chunk"]


@njit(cache=True)
def simulate_chunk(mu, alpha, beta, state, t_start, horizon, rng, times_out, marks_out):  # pragma: no cover
    """Ogata (1981) thinning for sum-of-exponential kernels, resumable.

    ``state[i, u]`` holds ``Y_iu(t) = sum_j alpha_iju beta_u S0_ju(t)`` at ``t_start`` (just after the
    last accepted event) and is updated in place. Between events the intensity only decays, so the
    current total intensity bounds it until the next event (exact thinning). The same uniform that
    accepts a candidate picks its mark (uniform on [0, lambda(t)] given acceptance). Stops when the
    buffers are full (before drawing anything, so resuming gives the same stream) or when a
    candidate passes ``horizon``.

    Returns:
        ``(n_written, t_now, is_done)``.
    """
    d = mu.shape[0]
    n_u = beta.shape[0]
    cap = times_out.shape[0]
    mu_total = 0.0
    for i in range(d):
        mu_total += mu[i]
    t = t_start
    n = 0
    while n < cap:
        bound = mu_total
        for i in range(d):
            for u in range(n_u):
                bound += state[i, u]
        t_cand = t + rng.standard_exponential() / bound
        if t_cand > horizon:
            return n, horizon, True
        w = t_cand - t
        t = t_cand
        lam_total = mu_total
        for u in range(n_u):
            e = math.exp(-beta[u] * w)
            for i in range(d):
                state[i, u] *= e
                lam_total += state[i, u]
        level = rng.random() * bound
        if level <= lam_total:
            mark = d - 1
            acc = 0.0
            for i in range(d):
                acc += mu[i]
                for u in range(n_u):
                    acc += state[i, u]
                if level <= acc:
                    mark = i
                    break
            for i in range(d):
                for u in range(n_u):
                    state[i, u] += alpha[i, mark, u] * beta[u]
            times_out[n] = t
            marks_out[n] = mark
            n += 1
    return n, t, False


@njit(cache=True)
def loglik_pass(mu, alpha, beta, times, marks, horizon, order, grad, hess):  # pragma: no cover
    """Log-likelihood (and gradient if ``order >= 1``, Hessian if ``order >= 2``) in one pass.

    ``log L = sum_k log lambda_{m_k}(t_k) - sum_i int_0^T lambda_i``, with compensator
    ``int_0^T lambda_i = mu_i T + sum_ju alpha_iju (N_j - S0_ju(T))`` (Ozaki 1979). ``grad`` (P,) and
    ``hess`` (P, P) are overwritten. Returns ``-inf`` if an intensity is not positive.
    """
    d = mu.shape[0]
    n_u = beta.shape[0]
    n = times.shape[0]
    p_a = d  # offset of alpha in the parameter vector
    p_b = d + d * d * n_u  # offset of beta
    n_loc = 1 + d * n_u + n_u
    s0 = np.zeros((d, n_u))
    s1 = np.zeros((d, n_u))
    s2 = np.zeros((d, n_u))
    counts = np.zeros(d)
    g_loc = np.zeros(n_loc)
    idx = np.zeros(n_loc, dtype=np.int64)
    ebuf = np.zeros(n_u)
    if order >= 1:
        grad[:] = 0.0
    if order >= 2:
        hess[:, :] = 0.0
    loglik = 0.0
    t_prev = 0.0
    for k in range(n):
        t = times[k]
        dt = t - t_prev
        t_prev = t
        for u in range(n_u):
            ebuf[u] = math.exp(-beta[u] * dt)
        if order >= 2:
            for j in range(d):
                for u in range(n_u):
                    e = ebuf[u]
                    s2[j, u] = e * (s2[j, u] + 2.0 * dt * s1[j, u] + dt * dt * s0[j, u])
        if order >= 1:
            for j in range(d):
                for u in range(n_u):
                    s1[j, u] = ebuf[u] * (s1[j, u] + dt * s0[j, u])
        for j in range(d):
            for u in range(n_u):
                s0[j, u] *= ebuf[u]
        i = marks[k]
        lam = mu[i]
        for j in range(d):
            for u in range(n_u):
                lam += alpha[i, j, u] * beta[u] * s0[j, u]
        if not lam > 0.0:
            return -np.inf
        loglik += math.log(lam)
        if order >= 1:
            inv = 1.0 / lam
            # local gradient of lambda_i w.r.t. (mu_i, alpha_i.., beta)
            g_loc[0] = 1.0
            idx[0] = i
            for j in range(d):
                for u in range(n_u):
                    q = 1 + j * n_u + u
                    g_loc[q] = beta[u] * s0[j, u]
                    idx[q] = p_a + (i * d + j) * n_u + u
            for u in range(n_u):
                q = 1 + d * n_u + u
                acc = 0.0
                for j in range(d):
                    acc += alpha[i, j, u] * (s0[j, u] - beta[u] * s1[j, u])
                g_loc[q] = acc
                idx[q] = p_b + u
            for q in range(n_loc):
                grad[idx[q]] += g_loc[q] * inv
            if order >= 2:
                inv2 = inv * inv
                for q in range(n_loc):
                    gq = g_loc[q] * inv2
                    for r in range(q, n_loc):
                        hess[idx[q], idx[r]] -= gq * g_loc[r]
                for u in range(n_u):
                    qb = p_b + u
                    acc = 0.0
                    for j in range(d):
                        dd = (s0[j, u] - beta[u] * s1[j, u]) * inv
                        qa = p_a + (i * d + j) * n_u + u
                        hess[qa, qb] += dd  # qa < qb: upper triangle
                        acc += alpha[i, j, u] * (beta[u] * s2[j, u] - 2.0 * s1[j, u])
                    hess[qb, qb] += acc * inv
        for u in range(n_u):
            s0[i, u] += 1.0
        counts[i] += 1.0
    # decay the state to the horizon and subtract the compensator
    dt = horizon - t_prev
    for u in range(n_u):
        e = math.exp(-beta[u] * dt)
        for j in range(d):
            s2[j, u] = e * (s2[j, u] + 2.0 * dt * s1[j, u] + dt * dt * s0[j, u])
            s1[j, u] = e * (s1[j, u] + dt * s0[j, u])
            s0[j, u] *= e
    for i in range(d):
        loglik -= mu[i] * horizon
        for j in range(d):
            for u in range(n_u):
                loglik -= alpha[i, j, u] * (counts[j] - s0[j, u])
    if order >= 1:
        for i in range(d):
            grad[i] -= horizon
            for j in range(d):
                for u in range(n_u):
                    qa = p_a + (i * d + j) * n_u + u
                    grad[qa] -= counts[j] - s0[j, u]
                    grad[p_b + u] -= alpha[i, j, u] * s1[j, u]
                    if order >= 2:
                        hess[qa, p_b + u] -= s1[j, u]
                        hess[p_b + u, p_b + u] += alpha[i, j, u] * s2[j, u]
    if order >= 2:
        p = hess.shape[0]
        for q in range(p):
            for r in range(q + 1, p):
                hess[r, q] = hess[q, r]
    return loglik


@njit(cache=True)
def compensator_residuals(mu, alpha, beta, times, marks, horizon, out):  # pragma: no cover
    """Compensator increments ``int lambda_{m_k}`` since the previous event of the same dimension.

    ``out[k]`` is ``Lambda_{m_k}(t_k) - Lambda_{m_k}(t_prev)`` where ``t_prev`` is the previous event
    of dimension ``m_k`` (or 0). Increments over each gap ``(t_{k-1}, t_k]`` are
    ``mu_i dt + sum_ju alpha_iju (S0_ju(t_{k-1}+) - S0_ju(t_k-))``, accumulated per dimension, which
    keeps full precision however long the sample. Returns the unfinished increments at ``horizon``
    per dimension (the censored last gap).
    """
    d = mu.shape[0]
    n_u = beta.shape[0]
    s0 = np.zeros((d, n_u))
    acc = np.zeros(d)
    t_prev = 0.0
    for k in range(times.shape[0] + 1):
        t = times[k] if k < times.shape[0] else horizon
        dt = t - t_prev
        t_prev = t
        for u in range(n_u):
            e = math.exp(-beta[u] * dt)
            for j in range(d):
                drop = s0[j, u] * (1.0 - e)
                s0[j, u] -= drop
                for i in range(d):
                    acc[i] += alpha[i, j, u] * drop
        for i in range(d):
            acc[i] += mu[i] * dt
        if k < times.shape[0]:
            m = marks[k]
            out[k] = acc[m]
            acc[m] = 0.0
            for u in range(n_u):
                s0[m, u] += 1.0
    return acc
