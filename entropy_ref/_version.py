"""The package version: the one place it is written.

``setup.cfg`` reads it statically (``version = attr: entropy_ref._version.__version__``), the
package exposes it as ``entropy_ref.__version__``, ``entropy-ref --version`` prints it, and
``CHANGELOG.md``'s newest release and ``CITATION.cff``'s ``version`` must equal it (tested).
"""

__version__ = "0.1.0"
