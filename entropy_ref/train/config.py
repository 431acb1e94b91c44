"""The training configuration: one frozen dataclass, validated on construction, saved as JSON."""

from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass, field

from .. import regularizers
from ..mlp import LENET300_SIZES
from ..validation import fields

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
        set_ = object.__setattr__
        regularizers.get(self.reg)  # raises "unknown regularizer ..., choose one of ..."
        hidden = self.hidden
        if (not isinstance(hidden, (list, tuple))
                or not all(isinstance(h, numbers.Integral) and not isinstance(h, bool)
                           and h >= 1 for h in hidden)):
            raise ValueError(f"hidden must be a sequence of integer widths >= 1, got {hidden!r}")
        set_(self, "hidden", tuple(int(h) for h in hidden))
        set_(self, "lam", _lam(self.lam, len(self.hidden) + 1))
        for name, low in (("epochs", 0), ("batch_size", 1), ("val_size", 0), ("seed", 0)):
            set_(self, name, fields.integer(getattr(self, name), name, low))
        if self.train_subset is not None:
            set_(self, "train_subset", fields.integer(self.train_subset, "train_subset", 1))
        set_(self, "lr", fields.real(self.lr, "lr", lambda v: v > 0, "a finite number > 0"))
        set_(self, "eps", fields.real(self.eps, "eps", lambda v: v >= 0, "a finite number >= 0"))
        betas = self.betas
        if not isinstance(betas, (list, tuple)) or len(betas) != 2:
            raise ValueError(f"betas must be two numbers in [0, 1), got {betas!r}")
        set_(self, "betas", tuple(fields.real(b, "betas", lambda v: 0 <= v < 1,
                                              "two numbers in [0, 1)") for b in betas))
        if not isinstance(self.dtype, str) or self.dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {self.dtype!r}")
        # "matrix", or one layout name per weight matrix (entropy_ref.regularizers.layout)
        set_(self, "layout", regularizers.normalize_layout(self.layout, len(self.hidden) + 1,
                                                           self.reg))
        for name in ("data_dir", "out"):
            set_(self, name, fields.path_or_none(getattr(self, name), name))
        set_(self, "download", fields.flag(self.download, "download"))

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
        """Inverse of :meth:`to_dict`: the values are checked as given, never converted.

        Unknown keys, and a value of the wrong type (``"download": "no"``, ``"lr": true``,
        ``"hidden": [true]``), raise ``ValueError`` naming the field.
        """
        if not isinstance(d, dict):
            raise ValueError(f"expected an object of configuration fields, got "
                             f"{type(d).__name__}")
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


def _lam(lam, n_layers):
    """``lam`` as a float, or a tuple of ``n_layers`` floats; finite, >= 0, never a bool or str."""
    what = "a number or a list of numbers (one per weight matrix)"
    values = list(lam) if isinstance(lam, (list, tuple)) else [lam]
    for v in values:
        if not isinstance(v, numbers.Real) or isinstance(v, bool):
            raise ValueError(f"lam must be {what}, got {lam!r}")
        if not (math.isfinite(v) and v >= 0):
            raise ValueError(f"lam must be finite and >= 0 (it weights a penalty), got {v}")
    values = [float(v) for v in values]
    if not isinstance(lam, (list, tuple)):
        return values[0]
    if len(values) != n_layers:
        raise ValueError(f"lam has {len(values)} values but the network has {n_layers} weight "
                         f"matrices (give one number, or one per matrix)")
    return tuple(values)
