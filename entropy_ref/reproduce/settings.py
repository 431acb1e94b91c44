"""What ``entropy-ref reproduce`` runs: the variants compared, the presets, every knob in one place.

Methods compared (all trained under the same protocol: LeNet300, Adam lr 1e-4, batch 100, no weight
decay, the same seeds and epochs; then pruned by the same sensitivity sweep):

==============  ==========  ===========================================================
label           regularizer ``lam``
==============  ==========  ===========================================================
none            none        -- (dense baseline: cross-entropy only)
sparsity        sparsity    1: the paper's ``l_C = -H_C`` (eq. 3, sec. 5), CE a batch mean
sparsity-sum    sparsity    1/batch_size: the same if the paper's CE was a batch *sum*
entropy         entropy     1: the opposite sign, ``+H_C`` (the prose and sec. 3.1 reading)
entropy-sum     entropy     1/batch_size
l1              l1          chosen on a validation split (:mod:`.select`)
hoyer           hoyer       chosen on a validation split
==============  ==========  ===========================================================

Why ``1/batch_size``: with Adam (invariant to rescaling the whole loss, up to ``eps``),
``sum_i CE_i + l_C`` over a batch of 100 trains like ``mean_i CE_i + 0.01 l_C``.
"""

from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass

from .. import regularizers
from ..prune import ACCURACY_TARGETS, n_points
from ..train import TrainConfig
from ..validation import fields

__all__ = ["Variant", "ReproSettings", "PRESETS", "PAPER", "SENSITIVITY_DATA", "variants_for",
           "lambda_grids", "step_checked"]

#: the paper's two reported points (section 5): nonzero weights and test accuracy
PAPER = {"sparsity": {"nonzero": 19166, "test_accuracy": 0.9601},
         "none": {"nonzero": 127776, "test_accuracy": 0.9603}}

#: data the sensitivity gradient is averaged over (the paper does not say)
SENSITIVITY_DATA = ("train", "test")


@dataclass(frozen=True)
class Variant:
    """One compared method: a label, a regularizer name and its weight (None: select it)."""

    label: str
    reg: str
    lam: float | None
    note: str


def variants_for(batch_size):
    """The default variants (see the module docstring), ``*-sum`` at ``lam = 1/batch_size``.

    Examples
    --------
    >>> [(v.label, v.lam) for v in variants_for(100)][:3]
    [('none', 0.0), ('sparsity', 1.0), ('sparsity-sum', 0.01)]
    """
    s = 1.0 / batch_size
    return (
        Variant("none", "none", 0.0, "dense baseline, cross-entropy only"),
        Variant("sparsity", "sparsity", 1.0, "paper: + l_C = -H_C, lambda 1, CE batch mean"),
        Variant("sparsity-sum", "sparsity", s, f"paper if CE was a batch sum: lambda {s:g}"),
        Variant("entropy", "entropy", 1.0, "opposite sign: + H_C, lambda 1"),
        Variant("entropy-sum", "entropy", s, f"opposite sign, lambda {s:g}"),
        Variant("l1", "l1", None, "L1 penalty, lambda chosen on validation"),
        Variant("hoyer", "hoyer", None, "DeepHoyer H_S, lambda chosen on validation"),
    )


@dataclass(frozen=True)
class ReproSettings:
    """Every setting of a reproduction run (validated on construction).

    Attributes
    ----------
    out : str
        Output directory (``runs/``, ``results.json``, ``results.md``, ``figures/``).
    preset : str
        ``full``, ``quick`` or ``tiny`` (only recorded; the values below are what counts).
    seeds, epochs, train_subset, hidden, batch_size, lr, dtype
        Training protocol of the compared models (seeds are ``0 .. seeds-1``).
    step : float
        Percentile step of the pruning sweep (0.1: 1,001 points).
    sensitivity_data : str
        ``train`` (the run's training images) or ``test``.
    methods : tuple of str
        Variant labels to run (see :func:`variants_for`).
    select_grid : tuple of (str, tuple of float)
        Lambda grid per regularizer whose lambda is chosen on validation.
    select_val_size, select_epochs, select_target
        The last ``select_val_size`` training images are held out; models train for
        ``select_epochs`` on the rest (seed 0); the lambda needing the fewest nonzero weights to
        reach ``select_target`` validation accuracy wins.
    lambda_sweep : bool
        Also run the sign/lambda sweep (:mod:`.sweep`).
    sweep_grid, sweep_epochs
        Lambdas and epochs of that sweep (seed 0, full protocol otherwise).
    """

    out: str
    preset: str = "full"
    data_dir: str | None = None
    seeds: int = 3
    epochs: int = 20
    train_subset: int | None = None
    hidden: tuple = (300, 100)
    batch_size: int = 100
    lr: float = 1e-4
    dtype: str = "float32"
    step: float = 0.1
    sensitivity_data: str = "train"
    methods: tuple = ("none", "sparsity", "sparsity-sum", "entropy", "entropy-sum", "l1",
                      "hoyer")
    targets: tuple = ACCURACY_TARGETS
    select_grid: tuple = (("l1", (1e-6, 1e-5, 1e-4, 1e-3)), ("hoyer", (1e-6, 1e-5, 1e-4, 1e-3)))
    select_val_size: int = 10000
    select_epochs: int | None = None
    select_target: float = 0.96
    lambda_sweep: bool = False
    sweep_grid: tuple = (0.001, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
    sweep_epochs: int | None = None

    def __post_init__(self):
        set_ = object.__setattr__
        out = fields.path_or_none(self.out, "out")
        if out is None or not out.strip():
            raise ValueError(f"out must name a directory, got {self.out!r}")
        set_(self, "out", out)
        if not isinstance(self.preset, str) or self.preset not in PRESETS:
            raise ValueError(f"preset must be one of {', '.join(PRESETS)}, got {self.preset!r}")
        set_(self, "data_dir", fields.path_or_none(self.data_dir, "data_dir"))
        for name, low in (("seeds", 1), ("epochs", 1), ("batch_size", 1), ("select_val_size", 1)):
            set_(self, name, fields.integer(getattr(self, name), name, low))
        for name in ("select_epochs", "sweep_epochs", "train_subset"):
            set_(self, name, fields.optional_integer(getattr(self, name), name))
        # the training protocol, checked by the trainer's own rules
        protocol = TrainConfig(reg="none", epochs=self.epochs, batch_size=self.batch_size,
                               lr=self.lr, dtype=self.dtype, hidden=self.hidden,
                               train_subset=self.train_subset)
        set_(self, "hidden", protocol.hidden)
        set_(self, "lr", protocol.lr)
        set_(self, "step", step_checked(self.step, "step"))
        if self.sensitivity_data not in SENSITIVITY_DATA:
            raise ValueError(f"sensitivity_data must be one of {', '.join(SENSITIVITY_DATA)}, "
                             f"got {self.sensitivity_data!r}")
        labels = tuple(v.label for v in variants_for(self.batch_size))
        set_(self, "methods", fields.name_list(self.methods, "methods", labels, "method"))
        set_(self, "targets", fields.real_list(self.targets, "targets", _is_accuracy,
                                               "accuracies in (0, 1]"))
        set_(self, "select_target", fields.real(self.select_target, "select_target",
                                                _is_accuracy, "an accuracy in (0, 1]"))
        set_(self, "select_grid", lambda_grids(self.select_grid, "select_grid"))
        set_(self, "lambda_sweep", fields.flag(self.lambda_sweep, "lambda_sweep"))
        set_(self, "sweep_grid", fields.real_list(self.sweep_grid, "sweep_grid", _is_positive,
                                                  "lambdas > 0"))

    def check_data(self, n_train, selection=True):
        """Refuse sizes that ``n_train`` training images cannot satisfy, before any training.

        ``selection``: whether validation runs (``select_val_size`` held out, the rest cut to
        ``train_subset``) will be trained too.
        """
        if self.train_subset is not None and self.train_subset > n_train:
            raise ValueError(f"train_subset = {self.train_subset} exceeds the {n_train} "
                             "training images of the data")
        if not selection:
            return
        n_fit = n_train - self.select_val_size
        if n_fit < 1:
            raise ValueError(f"select_val_size = {self.select_val_size} leaves no training "
                             f"images for the lambda selection (the data has {n_train})")
        if self.train_subset is not None and self.train_subset > n_fit:
            raise ValueError(f"train_subset = {self.train_subset} exceeds the {n_fit} training "
                             f"images the lambda selection keeps after holding out "
                             f"select_val_size = {self.select_val_size}")

    @property
    def variants(self):
        """The selected :class:`Variant` records, in the order of ``methods``."""
        by_label = {v.label: v for v in variants_for(self.batch_size)}
        return tuple(by_label[m] for m in self.methods)

    def grid_for(self, reg):
        """The validation lambda grid of ``reg``."""
        for name, grid in self.select_grid:
            if name == reg:
                return tuple(grid)
        raise ValueError(f"no select_grid entry for regularizer {reg!r}")

    def to_dict(self):
        """JSON-ready dict of every field."""
        return dataclasses.asdict(self)


def _is_accuracy(v):
    return 0 < v <= 1


def _is_positive(v):
    return v > 0


def step_checked(step, name):
    """A percentile step of the pruning sweep as a float: a number (not a bool, not a string)
    that divides 100 (:func:`entropy_ref.prune.plan.n_points`)."""
    if not isinstance(step, numbers.Real) or isinstance(step, bool):
        raise ValueError(f"{name} must be a number (a percentage), got {step!r}")
    try:
        n_points(step)
    except ValueError as exc:
        raise ValueError(str(exc).replace("step", name, 1)) from None
    return float(step)


def lambda_grids(grids, name):
    """``((reg, (lam, ...)), ...)`` checked: known regularizers, each once, lambdas finite > 0.

    Examples
    --------
    >>> lambda_grids([("l1", [1e-4, 1e-3])], "select_grid")
    (('l1', (0.0001, 0.001)),)
    >>> lambda_grids((("l1", (0.0,)),), "select_grid")
    Traceback (most recent call last):
    ...
    ValueError: select_grid['l1'] must be a list of lambdas > 0, got 0.0
    """
    if isinstance(grids, (str, bytes)) or not isinstance(grids, (list, tuple)):
        raise ValueError(f"{name} must be a list of (regularizer, lambdas) pairs, got {grids!r}")
    out = []
    for entry in grids:
        if not isinstance(entry, (list, tuple)) or len(entry) != 2:
            raise ValueError(f"{name} must be a list of (regularizer, lambdas) pairs, got the "
                             f"entry {entry!r}")
        reg, grid = entry
        if not isinstance(reg, str) or reg not in regularizers.names():
            raise ValueError(f"{name}: unknown regularizer {reg!r}; choose from "
                             f"{', '.join(regularizers.names())}")
        if reg in (r for r, _ in out):
            raise ValueError(f"{name} has two grids for {reg!r}")
        out.append((reg, fields.real_list(grid, f"{name}[{reg!r}]", _is_positive,
                                          "lambdas > 0")))
    return tuple(out)


#: preset name -> overrides of the defaults (the ``full`` preset is the paper's setting)
PRESETS = {
    "full": {},
    "quick": dict(seeds=1, epochs=2, step=0.2, select_target=0.90,
                  targets=(0.85, 0.88, 0.90, 0.95, 0.96),
                  select_grid=(("l1", (1e-5, 1e-4)), ("hoyer", (1e-5, 1e-4))),
                  sweep_grid=(0.01, 0.1, 1.0), sweep_epochs=1),
    "tiny": dict(seeds=1, epochs=3, hidden=(24, 12), lr=3e-3, batch_size=20, step=5.0,
                 select_val_size=100,
                 select_target=0.5, select_grid=(("l1", (1e-4, 1e-3)), ("hoyer", (1e-4,))),
                 sweep_grid=(0.01, 1.0)),
}
