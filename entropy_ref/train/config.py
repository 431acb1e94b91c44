"""The training configuration: one frozen dataclass, validated on construction, saved as JSON."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

from .. import regularizers
from ..mlp import LENET300_SIZES

__all__ = ["TrainConfig", "DTYPES", "RESUME_MAY_CHANGE"]

#: training dtypes: float32 (fast, the default) or float64 (reference)
DTYPES = ("float32", "float64")

#: fields a resumed run may change: where the data comes from, where to write, how long to go
RESUME_MAY_CHANGE = ("epochs", "data_dir", "download", "out")

_HELP = {
    "reg": "regularizer added to the cross-entropy: " + ", ".join(regularizers.names()),
    "lam": "regularization weight: one number, or one per weight matrix",
    "epochs": "number of passes over the training set",
    "batch_size": "mini-batch size",
    "lr": "Adam learning rate (the paper's 1e-4)",
    "betas": "Adam (beta1, beta2), PyTorch defaults",
    "eps": "Adam epsilon, PyTorch default",
    "seed": "seeds initialisation and shuffling (numpy.random.Generator)",
    "dtype": "floating type of weights and data",
    "data_dir": "directory with the four MNIST IDX files (None: lookup order of entropy_ref.data)",
    "out": "run directory (config.json, history.json, model.npz); None writes nothing",
    "train_subset": "train on only the first N training images (after the validation split)",
    "val_size": "hold out the LAST val_size training images as a validation set (0: none)",
    "hidden": "hidden layer widths (LeNet300: 300,100)",
    "download": "download MNIST if it is not found",
    "layout": "where the Scharr operator runs: matrix, or receptive (layer 1's 28x28 fields)",
}


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run (the paper's setting by default, with ``reg``).

    Attributes are validated on construction; a bad value raises ``ValueError`` naming it.
    ``lam`` and ``hidden`` are stored as a float / tuples so the config round-trips JSON exactly.

    Examples
    --------
    >>> c = TrainConfig(reg="none", epochs=2)
    >>> c.sizes, c.lam
    ((784, 300, 100, 10), 1.0)
    >>> TrainConfig(batch_size=0)
    Traceback (most recent call last):
    ...
    ValueError: batch_size must be an integer >= 1, got 0
    >>> TrainConfig.from_dict(c.to_dict()) == c
    True
    """

    reg: str = "sparsity"
    lam: float | tuple = 1.0
    epochs: int = 20
    batch_size: int = 100
    lr: float = 1e-4
    betas: tuple = (0.9, 0.999)
    eps: float = 1e-8
    seed: int = 0
    dtype: str = "float32"
    data_dir: str | None = None
    out: str | None = None
    train_subset: int | None = None
    val_size: int = 0
    hidden: tuple = field(default=LENET300_SIZES[1:-1])
    download: bool = False
    layout: str | tuple = "matrix"

    def __post_init__(self):
        regularizers.get(self.reg)  # raises "unknown regularizer ..., choose one of ..."
        set_ = object.__setattr__
        set_(self, "lam", _lam(self.lam, len(self.hidden) + 1 if _is_seq(self.hidden) else None))
        for name, low in (("epochs", 0), ("batch_size", 1), ("val_size", 0)):
            _int(getattr(self, name), name, low)
        if self.train_subset is not None:
            _int(self.train_subset, "train_subset", 1)
        if not isinstance(self.seed, int) or isinstance(self.seed, bool) or self.seed < 0:
            raise ValueError(f"seed must be an integer >= 0, got {self.seed!r}")
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a finite number > 0, got {self.lr!r}")
        betas = tuple(float(b) for b in self.betas)
        if len(betas) != 2 or not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(f"betas must be two numbers in [0, 1), got {self.betas!r}")
        set_(self, "betas", betas)
        if not (math.isfinite(self.eps) and self.eps >= 0):
            raise ValueError(f"eps must be a finite number >= 0, got {self.eps!r}")
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {self.dtype!r}")
        if not _is_seq(self.hidden) or not all(isinstance(h, int) and h >= 1 for h in self.hidden):
            raise ValueError(f"hidden must be a sequence of integer widths >= 1, got "
                             f"{self.hidden!r}")
        set_(self, "hidden", tuple(self.hidden))
        # "matrix", or one layout name per weight matrix (entropy_ref.regularizers.layout)
        set_(self, "layout", regularizers.normalize_layout(self.layout, len(self.hidden) + 1,
                                                           self.reg))
        for name in ("data_dir", "out"):
            value = getattr(self, name)
            if value is not None:
                set_(self, name, str(value))
        set_(self, "download", bool(self.download))

    @property
    def sizes(self):
        """Layer widths ``(784, *hidden, 10)``."""
        return (LENET300_SIZES[0],) + self.hidden + (LENET300_SIZES[-1],)

    def to_dict(self):
        """JSON-ready dict (tuples become lists)."""
        return {f.name: (list(v) if isinstance(v, tuple) else v)
                for f in dataclasses.fields(self) for v in [getattr(self, f.name)]}

    @classmethod
    def from_dict(cls, d):
        """Inverse of :meth:`to_dict`; unknown keys raise ``ValueError``."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ValueError(f"unknown configuration keys: {', '.join(sorted(unknown))}")
        return cls(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in d.items()})

    def describe(self):
        """Lines ``name = value    # help`` for every field, in declaration order."""
        lines = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            lines.append(f"  {f.name:<13}= {value!s:<22} # {_HELP[f.name]}")
        return lines

    def differences(self, other, ignore=RESUME_MAY_CHANGE):
        """``[(name, self_value, other_value)]`` for fields that differ, except ``ignore``."""
        return [(f.name, getattr(self, f.name), getattr(other, f.name))
                for f in dataclasses.fields(self)
                if f.name not in ignore and getattr(self, f.name) != getattr(other, f.name)]


def _is_seq(x):
    return isinstance(x, (list, tuple))


def _int(value, name, low):
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")


def _lam(lam, n_layers):
    values = list(lam) if _is_seq(lam) else [lam]
    try:
        values = [float(v) for v in values]
    except (TypeError, ValueError):
        raise ValueError(f"lam must be a number or a list of numbers, got {lam!r}") from None
    for v in values:
        if not (math.isfinite(v) and v >= 0):
            raise ValueError(f"lam must be finite and >= 0 (it weights a penalty), got {v}")
    if not _is_seq(lam):
        return values[0]
    if n_layers is not None and len(values) != n_layers:
        raise ValueError(f"lam has {len(values)} values but the network has {n_layers} weight "
                         f"matrices (give one number, or one per matrix)")
    return tuple(values)
