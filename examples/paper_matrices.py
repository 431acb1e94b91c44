# The two matrices of the paper's Figure 1, same L_p norms, different H_C (imported by the other examples).
"""The example matrices of the paper's Figure 1 (section 2.1): same L_p norms, different H_C."""

from __future__ import annotations

import numpy as np


def figure1_matrices(n: int = 256, ones: int = 1024, centre: int = 64, seed=0):
    """Return ``(W_D, W_S)``: ``ones`` entries equal to 1 in an ``n x n`` zero matrix.

    Parameters
    ----------
    n : int
        Matrix size (paper: 256).
    ones : int
        Number of entries equal to 1 (paper: 1024).
    centre : int
        Side of the central square ``W_S`` is confined to (paper: 64).
    seed : int or numpy.random.Generator

    Returns
    -------
    W_D : ndarray, shape (n, n), float64
        The ones permuted uniformly at random over the whole matrix ("dense").
    W_S : ndarray, shape (n, n), float64
        The ones permuted uniformly at random inside the central ``centre x centre`` square, zero
        elsewhere ("sparse").

    Notes
    -----
    Both have the same multiset of entries, so every L_p norm agrees, while
    ``H_C(W_S) < H_C(W_D)`` (``tests/test_entropy.py``).

    Examples
    --------
    >>> W_D, W_S = figure1_matrices(n=16, ones=8, centre=4)
    >>> int(W_D.sum()), int(W_S.sum()), int(W_S[6:10, 6:10].sum())
    (8, 8, 8)
    """
    if not 0 < centre <= n or ones > centre * centre or ones < 0:
        raise ValueError(f"need 0 < centre <= n and 0 <= ones <= centre**2; got n={n}, "
                         f"ones={ones}, centre={centre}")
    rng = np.random.default_rng(seed)
    W_D = np.zeros(n * n)
    W_D[rng.permutation(n * n)[:ones]] = 1.0
    inner = np.zeros(centre * centre)
    inner[rng.permutation(centre * centre)[:ones]] = 1.0
    W_S = np.zeros((n, n))
    lo = (n - centre) // 2
    W_S[lo:lo + centre, lo:lo + centre] = inner.reshape(centre, centre)
    return W_D.reshape(n, n), W_S


if __name__ == "__main__":
    import entropy_ref

    for name, W in zip(("W_D", "W_S"), figure1_matrices()):
        print(f"{name}: L0 {np.count_nonzero(W)}, L1 {np.abs(W).sum():g}, "
              f"L2 {np.sqrt((W * W).sum()):g}, H_C {entropy_ref.configuration_entropy(W):.4f} nats")
