"""One-line errors for arguments of the kit's entries that would otherwise fail deep inside."""

from __future__ import annotations

import numpy as np

from .. import golden
from .profiles import validate_profile


def validate_port_arguments(fn, skip_on, properties, seed) -> None:
    """Check ``fn``, ``skip_on``, ``properties`` and ``seed`` of :func:`~.api.check` (and of
    :func:`~.properties.check_properties`); ``TypeError`` / ``ValueError`` naming the argument."""
    if not callable(fn):
        raise TypeError(f"fn must be callable, fn(W[, axes]) -> (value, grad); got "
                        f"{type(fn).__name__}")
    kinds = skip_on if isinstance(skip_on, tuple) else (skip_on,)
    if not kinds or not all(isinstance(k, type) and issubclass(k, BaseException) for k in kinds):
        raise TypeError(f"skip_on must be an exception class or a tuple of them (e.g. "
                        f"NotImplementedError); got {skip_on!r}")
    if not isinstance(properties, bool):
        raise TypeError(f"properties must be True or False, got {properties!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")


def validate_loss_unit_profile(loss, unit, profile) -> None:
    """One-line ``ValueError`` for an unknown ``loss``, ``unit`` or ``profile``."""
    validate_profile(profile)
    if loss not in golden.LOSSES:
        raise ValueError(f"loss must be one of {golden.LOSSES}, got {loss!r}")
    if unit not in ("nats", "bits"):
        raise ValueError(f"unit must be 'nats' or 'bits', got {unit!r}")
