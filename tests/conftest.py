"""Shared test configuration: hypothesis profiles, data fixtures, the Agg backend."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import matplotlib
import pytest
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")

# Seeded, deadline-free profile for CI (and the default here); "dev" explores more.
settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile("dev", deadline=None, max_examples=300)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO_ROOT = Path(__file__).resolve().parent.parent

# A shell starts a background job (`pytest &`, `nohup ... &`) with SIGINT ignored, and every process
# it starts inherits that: the tests that send Ctrl-C to a child would see it ignored. Give this
# process Python's own handler, so that its children start with SIGINT at its default again.
if hasattr(signal, "SIGINT") and signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

#: The integration test modules, marked ``slow``: they run the examples and the documentation's
#: scripts, the reproduction and its studies, PyTorch/JAX cross-checks, real processes and signals.
#: ``python -m pytest -m "not slow"`` is the contributors' fast loop; ``python -m pytest`` runs all.
#: A test of another module that needs real MNIST (the ``real_mnist_dir`` fixture) is slow too, and
#: a single slow test elsewhere carries ``@pytest.mark.slow`` itself.
INTEGRATION_MODULES = frozenset({
    "test_crosscheck_jax.py", "test_crosscheck_torch.py", "test_data_real.py",
    "test_doc_outputs.py", "test_examples.py", "test_figures.py", "test_helmholtz.py",
    "test_interrupt.py", "test_optim_torch.py", "test_reproduce.py", "test_reproduce_real.py",
    "test_studies.py", "test_train_real.py", "test_verify_ci.py", "test_verify_hostile_inputs.py",
    "test_walkthrough.py", "test_what_hc_measures.py",
})


def pytest_collection_modifyitems(config, items):
    """Mark the integration tests ``slow`` (see :data:`INTEGRATION_MODULES`)."""
    slow = pytest.mark.slow
    for item in items:
        if item.path.name in INTEGRATION_MODULES or "real_mnist_dir" in getattr(
                item, "fixturenames", ()):
            item.add_marker(slow)


@pytest.fixture
def real_mnist_dir() -> Path:
    """Directory with the real MNIST files, from ``ENTROPY_REF_DATA``; skips when unset."""
    value = os.environ.get("ENTROPY_REF_DATA")
    if not value:
        pytest.skip("ENTROPY_REF_DATA is not set: real-MNIST integration tests need the four "
                    "MNIST IDX files (CI sets it via .ci/run)")
    path = Path(value)
    if not path.is_dir():
        pytest.skip(f"ENTROPY_REF_DATA={value} is not a directory")
    return path


@pytest.fixture
def synthetic_mnist_dir(tmp_path: Path) -> Path:
    """A directory with four small, synthetic, learnable MNIST-format files (gzip IDX)."""
    from entropy_ref.data import write_synthetic_mnist

    out = tmp_path / "mnist"
    write_synthetic_mnist(out, n_train=600, n_test=200, seed=0)
    return out


@pytest.fixture
def world_tmp():
    """A directory everyone may traverse (pytest's tmp_path is private to root), for tests that
    run a command as another user (``helpers.run_as_nobody``)."""
    import shutil
    import tempfile

    d = Path(tempfile.mkdtemp(prefix="entropy_ref_perm_"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)
