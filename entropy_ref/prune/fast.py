"""The fast sensitivity-pruning curve: incremental updates with a rigorous exactness certificate.

Weights are removed in ascending sensitivity, so between two points of the sweep only a few
hundred weights change. For each point we

1. update the first layer's pre-activations ``Z_1`` (float64, kept transposed as ``(h_1, N)`` so a
   unit's row is contiguous) by ``Z_1[r, :] -= w_rc * X[:, c]`` for each first-layer weight removed
   since the previous point (one BLAS ``daxpy`` each: together the rank-k correction
   ``X[:, cols] @ dW.T``; columns of ``X`` that are zero on every test image are skipped);
2. run the remaining (cheap) layers in float32 and take the argmax.

No periodic recomputation is needed: each weight is removed once, so an entry of ``Z_1`` receives
at most ``fan_in`` corrections over the whole sweep and its rounding error stays below a
float64-level bound (``gamma(3 fan_in + 8)``, see :func:`error_bounds`).

**Exactness.** The result must equal :func:`.naive_curve` (float64, one full forward pass per
point) *exactly*. :func:`error_bounds` gives, per test image ``i`` and class ``k``, bounds on
``|logit - logit_exact|`` for the fast path, for a float64 recomputation of the later layers and
for the naive reference, valid for *every* pruned copy of the network: the classical dot-product
bound ``|fl(w.x) - w.x| <= gamma_n |w|.|x|`` (``gamma_n = n u / (1 - n u)``, Higham, *Accuracy
and Stability of Numerical Algorithms*, 2nd ed., sec. 3.1) applied layer by layer and carried
to the logits through ``|W|`` (ReLU is 1-Lipschitz; pruning only removes terms, so bounds of the
unpruned network hold for all pruned ones), with a 1.5x safety factor. If the fast top logit
beats every other class by more than the sum of the fast and the reference bounds, the fast,
exact and naive argmax coincide. The few images failing this test get their later layers
recomputed in float64; an image still within its float64 bounds of a tie makes the whole point
fall back to the reference's own call (:func:`.reference_predictions`), which is bit-for-bit the
naive computation. ``stats`` counts how often each level was used.
"""

from __future__ import annotations

import time

import numpy as np
from scipy.linalg.blas import daxpy

from .curve import Curve, float64_inputs, reference_predictions

__all__ = ["fast_curve", "error_bounds", "certified_argmax"]

_U32 = float(np.finfo(np.float32).eps) / 2   # unit roundoff 2**-24
_U64 = float(np.finfo(np.float64).eps) / 2   # unit roundoff 2**-53
_SAFETY = 1.5


def _gamma(n, u):
    return _SAFETY * n * u / (1 - n * u)


def error_bounds(params64, X64):
    """Logit error bounds ``(E_fast, E_mixed, E_ref)``, each (C, N), valid for every pruned network.

    ``A_l`` bounds ``|Z_l|`` (``|W_1| |x| + |b_1|`` for the first layer, ``|W_l| P_{l-1} + |b_l|``
    after it) and ``P_l`` bounds the ReLU output (positive parts only: ``sum_c max(W_rc x_c, 0) +
    max(b_r, 0)``, propagated through ``max(W, 0)``). A layer of fan-in ``n`` computed with unit
    roundoff ``u`` adds at most ``gamma(n + k) A_l`` (``k`` counts the extra roundings of inputs,
    weights and bias), which reaches the logits through ``|W_L| ... |W_{l+1}|``.

    * ``E_ref``: the naive float64 forward pass (``gamma(n + 4)`` per layer);
    * ``E_mixed``: incremental float64 first layer (``gamma(3 n_1 + 8)``: one full product plus up
      to ``n_1`` corrections of two roundings each), float64 later layers;
    * ``E_fast``: incremental float64 first layer, float32 later layers (``gamma(n + 6)``).

    Parameters
    ----------
    params64 : dict
        float64 parameters of the unpruned network.
    X64 : ndarray, shape (N, fan_in)

    Returns
    -------
    E_fast, E_mixed, E_ref : ndarray, shape (C, N)

    Examples
    --------
    >>> p = {"W": [np.array([[1.0, -2.0]]), np.array([[3.0], [-1.0]])],
    ...      "b": [np.zeros(1), np.array([0.5, 0.0])]}
    >>> E_fast, E_mixed, E_ref = error_bounds(p, np.array([[1.0, 1.0]]))
    >>> E_fast.shape, bool(np.all(E_fast > E_mixed) and np.all(E_mixed > E_ref))
    ((2, 1), True)
    """
    Ws, bs = params64["W"], params64["b"]
    A = [np.abs(X64) @ np.abs(Ws[0]).T + np.abs(bs[0])]
    P = (np.maximum(X64, 0) @ np.maximum(Ws[0], 0).T
         + np.minimum(X64, 0) @ np.minimum(Ws[0], 0).T + np.maximum(bs[0], 0))
    for W, b in zip(Ws[1:], bs[1:]):
        A.append(P @ np.abs(W).T + np.abs(b))
        P = P @ np.maximum(W, 0).T + np.maximum(b, 0)
    fan_in = [W.shape[1] for W in Ws]
    g_ref = [_gamma(n + 4, _U64) for n in fan_in]
    g_mixed = [_gamma(3 * fan_in[0] + 8, _U64)] + g_ref[1:]
    g_fast = g_mixed[:1] + [_gamma(n + 6, _U32) for n in fan_in[1:]]
    shape = (len(X64), Ws[-1].shape[0])
    E = {"fast": np.zeros(shape), "mixed": np.zeros(shape), "ref": np.zeros(shape)}
    for l, A_l in enumerate(A):
        for W in Ws[l + 1:]:
            A_l = A_l @ np.abs(W).T
        for key, g in (("fast", g_fast), ("mixed", g_mixed), ("ref", g_ref)):
            E[key] += g[l] * A_l
    return tuple(np.ascontiguousarray(E[k].T) for k in ("fast", "mixed", "ref"))


def certified_argmax(logits_t, err_t):
    """Argmax of each column and whether it provably equals the exact-arithmetic argmax.

    Parameters
    ----------
    logits_t : ndarray, shape (C, N)
        Computed logits (any float dtype; compared in float64).
    err_t : ndarray, shape (C, N)
        Bound on ``|computed - exact|`` per entry (sum of every bound that must be covered).

    Returns
    -------
    pred : ndarray of int, shape (N,)
    ok : ndarray of bool, shape (N,)
        ``z_t - z_k > err_t + err_k`` for every ``k != t``: the top class is the same, and
        unique, in every computation within the bounds.

    Examples
    --------
    >>> z = np.array([[1.0, 1.0], [0.0, 1.0 + 1e-9]])
    >>> certified_argmax(z, np.full((2, 2), 1e-6))
    (array([0, 1]), array([ True, False]))
    """
    z = np.asarray(logits_t, dtype=np.float64)
    pred = z.argmax(axis=0)
    cols = np.arange(z.shape[1])
    slack = (z[pred, cols] - z) - (err_t[pred, cols] + err_t)
    slack[pred, cols] = np.inf
    return pred, slack.min(axis=0) > 0


class _Engine:
    """Mutable state of one sweep (private: only :func:`fast_curve` drives it)."""

    def __init__(self, p64, X64):
        self.X64 = X64
        self.m64 = {k: [a.copy() for a in v] for k, v in p64.items()}    # masked float64 twin
        self.W32 = [W.astype(np.float32) for W in p64["W"]]
        self.b32 = [b.astype(np.float32)[:, None] for b in p64["b"]]
        self.XT = np.ascontiguousarray(X64.T)                             # (fan_in, N)
        self.active_col = np.any(self.XT != 0, axis=1)
        n = X64.shape[0]
        self.Z = [np.empty((W.shape[0], n), np.float64 if l == 0 else np.float32)
                  for l, W in enumerate(p64["W"])]
        self.H = [np.empty((W.shape[0], n), np.float32) for W in p64["W"][:-1]]
        E_fast, E_mixed, E_ref = error_bounds(p64, X64)
        self.err_fast, self.err_mixed = E_fast + E_ref, E_mixed + E_ref
        self.stats = {"evaluated": 0, "reused": 0, "flagged_samples": 0, "float64_points": 0,
                      "full_fallback_points": 0}
        np.matmul(self.m64["W"][0], self.XT, out=self.Z[0])
        self.Z[0] += p64["b"][0][:, None]

    def remove(self, layer, row, col):
        """Zero the given weights; return whether the exact network function may have changed."""
        changed = False
        for l in range(len(self.W32)):
            sel = layer == l
            if not sel.any():
                continue
            r, c = row[sel], col[sel]
            old = self.m64["W"][l][r, c]                    # a copy (fancy indexing)
            self.W32[l][r, c] = 0
            self.m64["W"][l][r, c] = 0
            eff = old != 0
            if l == 0:
                eff &= self.active_col[c]                   # a zero column of X adds nothing
                for ri, ci, wi in zip(r[eff].tolist(), c[eff].tolist(), old[eff].tolist()):
                    daxpy(self.XT[ci], self.Z[0][ri], a=-wi)   # in place on the row view
            changed |= bool(eff.any())
        return changed

    def _later_layers64(self, idx):
        """float64 logits (C, len(idx)) of the samples ``idx`` from the current ``Z_1``."""
        z = self.Z[0][:, idx]
        for W, b in zip(self.m64["W"][1:], self.m64["b"][1:]):
            z = W @ np.maximum(z, 0) + b[:, None]
        return z

    def predict(self):
        """Classify every sample with the current weights; ``(pred, used_full_fallback)``."""
        st = self.stats
        st["evaluated"] += 1
        h = self.Z[0]
        for l in range(1, len(self.W32)):
            np.maximum(h, 0, out=self.H[l - 1], casting="same_kind")
            np.matmul(self.W32[l], self.H[l - 1], out=self.Z[l])
            self.Z[l] += self.b32[l]
            h = self.Z[l]
        pred, ok = certified_argmax(h, self.err_fast)
        flagged = np.flatnonzero(~ok)
        if flagged.size == 0:
            return pred, False
        st["flagged_samples"] += int(flagged.size)
        st["float64_points"] += 1
        pred64, ok64 = certified_argmax(self._later_layers64(flagged),
                                        self.err_mixed[:, flagged])
        if not ok64.all():
            st["full_fallback_points"] += 1
            return reference_predictions(self.m64, self.X64), True
        pred[flagged] = pred64
        return pred, False


def fast_curve(params, plan, X, y):
    """Exactly :func:`.naive_curve`, computed incrementally (see the module docstring).

    Parameters
    ----------
    params : dict
        MLP parameters (any float dtype; the reference is their exact float64 value).
    plan : PrunePlan
    X : ndarray, shape (N, fan_in)
        Test inputs (converted to float64).
    y : ndarray of int, shape (N,)

    Returns
    -------
    curve : Curve
        ``stats`` holds the method, wall time and the certificate's counters: points evaluated
        and reused (nothing effective removed), images needing the float64 recomputation, and
        points that fell back to the full reference pass.

    Examples
    --------
    >>> from entropy_ref.mlp import init_mlp
    >>> from entropy_ref.prune import make_plan, naive_curve
    >>> rng = np.random.default_rng(0)
    >>> p = init_mlp((6, 5, 3), seed_or_rng=1, dtype=np.float64)
    >>> X, y = rng.random((40, 6)), rng.integers(0, 3, 40)
    >>> plan = make_plan(p, [np.abs(W) for W in p["W"]], step=10)
    >>> fast, naive = fast_curve(p, plan, X, y), naive_curve(p, plan, X, y)
    >>> bool(np.array_equal(fast.n_correct, naive.n_correct)), fast.nonzero[[0, -1]].tolist()
    (True, [45, 0])
    """
    t0 = time.perf_counter()
    p64, X64, y = float64_inputs(params, X, y, "fast_curve")
    if tuple(W.shape for W in p64["W"]) != plan.shapes:
        raise ValueError("fast_curve: the plan was made for a network of different shape")
    eng = _Engine(p64, X64)
    layer, row, col = plan.locate(plan.order)
    correct = np.zeros(plan.n_pruned.size, dtype=np.int64)
    last_full = False
    for j in range(plan.n_pruned.size):
        lo, hi = (plan.n_pruned[j - 1] if j else 0), plan.n_pruned[j]
        changed = eng.remove(layer[lo:hi], row[lo:hi], col[lo:hi]) if hi > lo else False
        if j and not changed and not last_full:
            correct[j] = correct[j - 1]           # same function: same (certified) predictions
            eng.stats["reused"] += 1
            continue
        pred, last_full = eng.predict()
        correct[j] = np.count_nonzero(pred == y)
    stats = dict(method="fast", seconds=time.perf_counter() - t0, **eng.stats)
    return Curve.from_plan(plan, correct, X64.shape[0], stats)
