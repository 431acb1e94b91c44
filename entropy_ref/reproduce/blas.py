"""One BLAS thread per training process: what makes ``reproduce``'s numbers the same for every
``--jobs N``.

A BLAS library may split a matrix product over threads, which changes the order of its sums and so
the last bits of the result. ``reproduce`` therefore runs every BLAS and OpenMP pool with one
thread: in its own process with :func:`one_blas_thread` (``threadpoolctl``), in a worker through
:data:`BLAS_ENV`, set before NumPy loads; :func:`blas_record` says in ``results.json`` what the
numbers were computed with.
"""

from __future__ import annotations

from contextlib import contextmanager

__all__ = ["BLAS_ENV", "one_blas_thread", "blas_record", "check_jobs"]

#: environment of a worker: every BLAS and OpenMP pool with one thread
BLAS_ENV = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                   "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
                                   "NUMEXPR_NUM_THREADS")}


def check_jobs(jobs) -> int:
    """``jobs`` as an int >= 1, or a ValueError naming it."""
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise ValueError(f"jobs must be an integer >= 1 (worker processes), got {jobs!r}")
    return jobs


@contextmanager
def one_blas_thread():
    """Run the block with every BLAS/OpenMP thread pool of this process limited to one thread."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


def blas_record() -> dict:
    """``{"threads": 1, "libraries": [...]}``: what the numbers were computed with."""
    from threadpoolctl import threadpool_info

    libs = [{k: info.get(k) for k in ("internal_api", "version", "num_threads")}
            for info in threadpool_info()]
    return {"threads": 1, "libraries": libs}
