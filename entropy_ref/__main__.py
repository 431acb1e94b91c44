"""``python -m entropy_ref`` is the same as the ``entropy-ref`` console script."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
