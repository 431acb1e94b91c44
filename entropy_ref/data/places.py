"""Where MNIST is looked for: an explicit directory, ``$ENTROPY_REF_DATA``, the user cache.

The user cache is ``$XDG_CACHE_HOME/entropy_ref/mnist`` (default ``~/.cache/entropy_ref/mnist``).
Without a home directory (``HOME`` unset and the user id missing from the password database, as
in some containers) neither ``~`` nor that default can be resolved: :class:`NoHomeError` then says
which variable or option to set, instead of the ``RuntimeError`` of :meth:`pathlib.Path.home`.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["ENV_VAR", "NoHomeError", "expand_home", "default_cache_dir", "search_dirs"]

#: Environment variable naming a directory that holds the MNIST files.
ENV_VAR = "ENTROPY_REF_DATA"


class NoHomeError(ValueError):
    """The home directory is unknown (``HOME`` unset and no password-database entry), so ``~``
    and the default user cache cannot be resolved; the message says what to set instead."""


def _no_home(what: str, remedy: str) -> NoHomeError:
    uid = os.getuid() if hasattr(os, "getuid") else "?"
    return NoHomeError(f"{what}: the home directory is unknown (HOME is not set and user id {uid} "
                       f"has no entry in the password database); {remedy}")


def expand_home(path: str | os.PathLike, what: str) -> Path:
    """``Path(path)`` with a leading ``~`` expanded; :class:`NoHomeError` naming ``what`` when
    there is no home directory to expand it to.

    Examples
    --------
    >>> expand_home("/data/mnist", "--data-dir")
    PosixPath('/data/mnist')
    """
    try:
        return Path(path).expanduser()
    except RuntimeError:                     # "Could not determine home directory."
        raise _no_home(f"{what} {path}: cannot expand '~'",
                       "give the path without '~', or set HOME") from None


def default_cache_dir() -> Path:
    """The user cache, ``$XDG_CACHE_HOME/entropy_ref/mnist`` (default ``~/.cache/...``).

    A relative ``XDG_CACHE_HOME`` is ignored, as the XDG base-directory specification requires.

    Raises
    ------
    NoHomeError
        Without ``XDG_CACHE_HOME``, when the home directory is unknown (``HOME`` unset and the
        user id missing from the password database, as in some containers).

    Examples
    --------
    >>> default_cache_dir().parts[-2:]
    ('entropy_ref', 'mnist')
    """
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if xdg and os.path.isabs(xdg):
        base = Path(xdg)
    else:
        try:
            base = Path.home() / ".cache"
        except (RuntimeError, KeyError):
            raise _no_home("no user cache directory to look for MNIST in",
                           f"set {ENV_VAR} or pass --data-dir (or set XDG_CACHE_HOME or "
                           "HOME)") from None
    return base / "entropy_ref" / "mnist"


def search_dirs(data_dir: str | os.PathLike | None = None) -> list[tuple[Path, str]]:
    """The places :func:`find_mnist_dir` looks in, in order, each with where it came from.

    Without a home directory the user cache is left out when ``$ENTROPY_REF_DATA`` is set, and is
    a :class:`NoHomeError` otherwise (there would be nowhere to look).

    Examples
    --------
    >>> [(p.name, origin) for p, origin in search_dirs("/tmp/x")]
    [('x', 'data_dir argument')]
    """
    if data_dir is not None:
        return [(expand_home(data_dir, "data_dir"), "data_dir argument")]
    places = []
    if os.environ.get(ENV_VAR):
        places.append((expand_home(os.environ[ENV_VAR], f"${ENV_VAR}"), f"${ENV_VAR}"))
    try:
        places.append((default_cache_dir(), "user cache"))
    except NoHomeError:
        if not places:
            raise
    return places
