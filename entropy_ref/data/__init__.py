"""MNIST data: IDX read/write, file lookup, checked download, synthetic data.

Used by the experiment layer only; of the rest of ``entropy_ref`` it imports only the atomic
writes of :mod:`entropy_ref.storage`.

* :mod:`.idx` -- the IDX format (:func:`read_idx`, :func:`write_idx`), MNIST file names and MD5s;
* :mod:`.locate` -- lookup order (:func:`find_mnist_dir`), :func:`load_mnist`, :func:`to_features`;
* :mod:`.download` -- :func:`download_mnist` (stdlib ``urllib``, MD5-checked, atomic);
* :mod:`.synthetic` -- :func:`write_synthetic_mnist` (learnable MNIST-format files for tests);
* :mod:`.fingerprint` -- :func:`data_fingerprint` (SHA-256 of the four arrays, once per process).

Preprocessing is documented in one place, :func:`to_features`: flatten to 784 and divide by 255.
"""

from .download import MNIST_MIRRORS, MNISTDownloadError, download_mnist
from .idx import (IDX_DTYPES, MNIST_FILES, MNIST_MD5, MNIST_RAW_MD5, MNISTDataError, md5_file,
                  parse_idx, read_idx, write_idx)
from .locate import (ENV_VAR, MNIST, MNISTNotFoundError, default_cache_dir, find_mnist_dir,
                     load_mnist, mnist_paths, search_dirs, to_features, validate_mnist)
from .fingerprint import data_fingerprint
from .synthetic import write_synthetic_mnist

__all__ = [
    "ENV_VAR", "IDX_DTYPES", "MNIST", "MNIST_FILES", "MNIST_MD5", "MNIST_MIRRORS", "MNIST_RAW_MD5",
    "MNISTDataError", "MNISTDownloadError", "MNISTNotFoundError", "data_fingerprint",
    "default_cache_dir",
    "download_mnist", "find_mnist_dir", "load_mnist", "md5_file", "mnist_paths", "parse_idx",
    "read_idx", "search_dirs", "to_features", "validate_mnist", "write_idx",
    "write_synthetic_mnist",
]
