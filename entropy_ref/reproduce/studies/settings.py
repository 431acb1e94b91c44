"""Knobs and presets of the studies (``entropy-ref reproduce --study``), and their names parsed.

The protocol itself (seeds, epochs, widths, step, targets) comes from
:class:`~entropy_ref.reproduce.ReproSettings`; :class:`StudySettings` holds what only the
studies use. The studies and their run order are those of :mod:`.registry`: whatever order they
are named in, they run in that order (most important first), and each reuses every finished run
and cached curve, so naming more studies later resumes the work.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ...prune.iterative import schedule
from ...train import TrainConfig
from ...validation import fields
from ..settings import lambda_grids, step_checked
from . import registry
from .ablation import ABLATION

__all__ = ["FAIR_GRID", "REGIME_GRID", "StudySettings", "STUDY_PRESETS", "parse_studies"]

_HALF_DECADES = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)

#: the fair study's validation grids: half-decade steps, at least six each, spanning each method's
#: range from nearly dense to clearly accuracy-limiting (the l1 and hoyer ends from the
#: paper-protocol selection, the l_C family's from the sign / lambda sweep; rayleigh still costs
#: little accuracy at 3, so its grid goes on to 30)
FAIR_GRID = (("sparsity", _HALF_DECADES), ("loghoyer", _HALF_DECADES),
             ("rayleigh", _HALF_DECADES + (10.0, 30.0)),
             ("l1", (3e-6, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3)),
             ("hoyer", (1e-6, 3e-6, 1e-5, 3e-5, 1e-4, 3e-4)))

#: the regime study's validation grids: the fair grids (whose runs it reuses), each reaching a
#: clearly accuracy-limiting strength (L1 one half-decade further, to 3e-3)
REGIME_GRID = tuple((reg, grid + (3e-3,) if reg == "l1" else grid) for reg, grid in FAIR_GRID)


#: StudySettings fields whose default is None -> the studies that use them
_STUDY_OF = {"long_methods": ("long",), "long_seeds": ("long",), "ablation_seeds": ("ablation",),
             "layout_seeds": ("layout",), "select_epochs": ("fair", "layout", "regime"),
             "select_target": ("fair", "layout")}
_TRAIN_FIELDS = tuple(f.name for f in dataclasses.fields(TrainConfig))


def parse_studies(text):
    """Study names from ``"fair,long"`` (or ``"all"``) in run order; ValueError naming a bad one.

    Examples
    --------
    >>> parse_studies("long,fair")
    ('fair', 'long')
    >>> parse_studies("fare")
    Traceback (most recent call last):
    ...
    ValueError: unknown study 'fare'; choose from fair, ablation, finetune, layout, long, regime, all
    """
    names = [s.strip() for s in str(text).split(",") if s.strip()]
    if not names:
        raise ValueError("--study needs at least one study name")
    known = registry.STUDIES
    for i, name in enumerate(names):
        if name != "all" and name not in known:
            raise ValueError(f"unknown study {name!r}; choose from {', '.join(known)}, all")
        if name in names[:i]:
            raise ValueError(f"study {name!r} is named twice")
    return known if "all" in names else tuple(s for s in known if s in names)


@dataclass(frozen=True)
class StudySettings:
    """Knobs of the studies (the protocol itself, seeds, epochs, step, comes from ReproSettings).

    Attributes
    ----------
    studies : tuple of str
        Which studies to run (the order of :data:`.registry.STUDIES`).
    fair_grid : tuple of (str, tuple of float)
        Validation lambda grid per method (the methods of ``fair``, in table order).
    select_epochs : int or None
        Epochs of the validation runs of the lambda selection (None: the protocol's
        ``select_epochs`` or ``epochs``). The same for every method.
    select_target : float or None
        Validation accuracy the selection rule targets (None: the protocol's ``select_target``,
        96%). The same for every method; shorter selection runs call for a lower target.
    select_step : float or None
        Percentile step of the validation curves of the lambda selection (None: the protocol's
        ``step``). Coarser than the test curves to save time; the same for every method.
    ablation_lam : float
        The paper's lambda for the ablation rows.
    ablation_seeds : int or None
        Seeds of the ablation rows (None: all).
    finetune_levels : tuple of float
        Percent of the weights removed (points of the pruning sweep).
    finetune_epochs : int
        Epochs of cross-entropy-only fine-tuning (Adam, the protocol's lr and batch).
    layout_permutations : int
        Random row and column permutations per matrix in layout (a).
    layout_reg : str
        Regularizer of the receptive-field variant.
    layout_field, layout_value
        The :class:`~entropy_ref.train.TrainConfig` field and value that select the
        receptive-field layout (None: the trainer has no such option; part (b) is skipped).
    layout_select : bool
        Choose the variant's lambda on the validation split over the fair grid (False: use the
        lambda chosen for ``layout_reg`` in the matrix layout).
    layout_seeds : int or None
        Seeds of the variant (None: all).
    long_epochs : int
    long_methods : tuple of str or None
        Methods of ``long``; None: those whose test accuracy still rose by at least
        ``long_climb`` over the last ``long_window`` epochs (seed mean), best first, at most
        ``long_max``.
    long_seeds : int or None
        Seeds of ``long`` (None: all).
    regime_grid : tuple of (str, tuple of float)
        Validation lambda grid per method of ``regime`` (``none`` is always there too).
    regime_levels : tuple of float
        Percent of the weights removed at which ``regime`` judges (increasing).
    regime_select_epochs : int
        Fine-tuning epochs of the validation runs when ``regime`` chooses a lambda per level.
    regime_finetune_epochs : tuple of int
        Fine-tuning lengths reported for the final models (one fine-tune of the longest).
    regime_fraction : float
        Share of the surviving weights each cycle of iterative pruning removes.
    regime_cycle_epochs : int
        Retraining epochs per cycle of iterative pruning.
    regime_iterative_level : float
        Iterative pruning starts from each method's model chosen for this level.
    regime_iterative_methods : tuple of str
        Methods whose model is pruned iteratively (``none`` and methods of ``regime_grid``).
    """

    studies: tuple = registry.STUDIES
    fair_grid: tuple = FAIR_GRID
    select_epochs: int | None = None
    select_target: float | None = None
    select_step: float | None = 0.5
    ablation_lam: float = 1.0
    ablation_seeds: int | None = None
    finetune_levels: tuple = (50.0, 80.0, 90.0, 95.0, 97.0, 98.0, 99.0)
    finetune_epochs: int = 2
    layout_permutations: int = 20
    layout_reg: str = "sparsity"
    layout_field: str | None = "layout"
    layout_value: object = "receptive"
    layout_select: bool = True
    layout_seeds: int | None = None
    long_epochs: int = 60
    long_methods: tuple | None = None
    long_climb: float = 0.001
    long_window: int = 5
    long_max: int = 2
    long_seeds: int | None = None
    regime_grid: tuple = REGIME_GRID
    regime_levels: tuple = (90.0, 95.0, 97.0, 98.0, 99.0, 99.5)
    regime_select_epochs: int = 2
    regime_finetune_epochs: tuple = (2, 10)
    regime_fraction: float = 0.5
    regime_cycle_epochs: int = 1
    regime_iterative_level: float = 99.0
    regime_iterative_methods: tuple = ("none",) + tuple(reg for reg, _ in REGIME_GRID)

    def __post_init__(self):
        set_ = object.__setattr__
        known = registry.STUDIES
        if isinstance(self.studies, str):
            raise ValueError(f"studies must be a tuple of study names, got the string "
                             f"{self.studies!r} (parse_studies reads 'fair,long')")
        named = fields.name_list(self.studies, "studies", known, "study")
        set_(self, "studies", tuple(s for s in known if s in named))
        set_(self, "fair_grid", lambda_grids(self.fair_grid, "fair_grid"))
        set_(self, "finetune_levels", fields.real_list(
            self.finetune_levels, "finetune_levels", lambda v: 0 < v < 100,
            "percentages in (0, 100)"))
        for name in ("finetune_epochs", "layout_permutations", "long_epochs", "long_window",
                     "long_max"):
            set_(self, name, fields.integer(getattr(self, name), name, 1))
        for name in ("long_seeds", "ablation_seeds", "layout_seeds", "select_epochs"):
            set_(self, name, fields.optional_integer(getattr(self, name), name))
        if self.select_target is not None:
            set_(self, "select_target", fields.real(self.select_target, "select_target",
                                                    lambda v: 0 < v <= 1, "an accuracy in (0, 1]"))
        if self.select_step is not None:
            set_(self, "select_step", step_checked(self.select_step, "select_step"))
        set_(self, "ablation_lam", fields.real(self.ablation_lam, "ablation_lam",
                                               lambda v: v > 0, "a finite number > 0"))
        set_(self, "long_climb", fields.real(self.long_climb, "long_climb"))
        set_(self, "layout_select", fields.flag(self.layout_select, "layout_select"))
        if self.layout_reg not in self.fair_methods:
            raise ValueError(f"layout_reg must be one of the methods of fair_grid "
                             f"({', '.join(self.fair_methods)}): its grid is the variant's, got "
                             f"{self.layout_reg!r}")
        if self.layout_field is not None and self.layout_field not in _TRAIN_FIELDS:
            raise ValueError(f"layout_field must be a TrainConfig field or None, got "
                             f"{self.layout_field!r}")
        if self.long_methods is not None:
            set_(self, "long_methods", fields.name_list(
                self.long_methods, "long_methods", self.long_candidates, "method"))
        self._check_regime()
        self._refuse_unused()

    def _check_regime(self):
        """The regime study's fields: grids without ``none``, increasing levels and lengths."""
        set_ = object.__setattr__
        set_(self, "regime_grid", lambda_grids(self.regime_grid, "regime_grid"))
        if "none" in (reg for reg, _ in self.regime_grid):
            raise ValueError("regime_grid must not hold 'none': the dense model is always in "
                             "the regime map")
        set_(self, "regime_levels", fields.real_list(
            self.regime_levels, "regime_levels", lambda v: 0 < v < 100, "percentages in (0, 100)"))
        if list(self.regime_levels) != sorted(self.regime_levels):
            raise ValueError(f"regime_levels must be increasing, got {self.regime_levels}")
        for name in ("regime_select_epochs", "regime_cycle_epochs"):
            set_(self, name, fields.integer(getattr(self, name), name, 1))
        lengths = self.regime_finetune_epochs
        if isinstance(lengths, (str, bytes)) or not isinstance(lengths, (list, tuple)) \
                or not lengths:
            raise ValueError(f"regime_finetune_epochs must be a non-empty list of epochs, got "
                             f"{lengths!r}")
        lengths = tuple(fields.integer(v, "regime_finetune_epochs", 1) for v in lengths)
        if list(lengths) != sorted(set(lengths)):
            raise ValueError(f"regime_finetune_epochs must be increasing, got {lengths}")
        set_(self, "regime_finetune_epochs", lengths)
        set_(self, "regime_fraction", fields.real(self.regime_fraction, "regime_fraction",
                                                  lambda v: 0 < v < 1, "a share in (0, 1)"))
        set_(self, "regime_iterative_level", fields.real(
            self.regime_iterative_level, "regime_iterative_level",
            lambda v: v in self.regime_levels, f"one of regime_levels {self.regime_levels}"))
        every = ("none",) + tuple(reg for reg, _ in self.regime_grid)
        named = fields.name_list(self.regime_iterative_methods, "regime_iterative_methods", every,
                                 "method")
        set_(self, "regime_iterative_methods", tuple(m for m in every if m in named))

    def _refuse_unused(self):
        """Refuse a setting whose study does not run (those whose default is None: no preset
        sets them, so a value was asked for)."""
        runs = {study.name for study in registry.resolve(self.studies)}
        for name, study in _STUDY_OF.items():
            if getattr(self, name) is not None and not runs & set(study):
                raise ValueError(f"{name} applies only to the study {' or '.join(study)}, "
                                 f"which is not among the studies run "
                                 f"({', '.join(sorted(runs))})")

    @property
    def long_candidates(self):
        """What ``long_methods`` may name: the fair methods, and the ablation rows when it runs."""
        rows = ()
        if "ablation" in {study.name for study in registry.resolve(self.studies)}:
            rows = tuple(f"{reg} (λ={self.ablation_lam:g})" for reg in ABLATION)
        return self.fair_methods + rows

    def check_protocol(self, settings):
        """Refuse settings that contradict the protocol ``settings`` (a ReproSettings).

        ``long`` continues the protocol's runs: it needs more epochs than they have, and has no
        runs to continue beyond their seeds.
        """
        runs = {study.name for study in registry.resolve(self.studies)}
        if "regime" in runs:
            sizes = (784,) + tuple(settings.hidden) + (10,)
            schedule(sum(a * b for a, b in zip(sizes[:-1], sizes[1:])), self.regime_levels,
                     self.regime_fraction)     # refuses levels that keep equal counts
        if "long" not in runs:
            return
        if self.long_epochs <= settings.epochs:
            raise ValueError(f"long_epochs = {self.long_epochs} must exceed the protocol's "
                             f"epochs = {settings.epochs}: the study long trains the protocol's "
                             "runs further")
        if self.long_seeds is not None and self.long_seeds > settings.seeds:
            raise ValueError(f"long_seeds = {self.long_seeds} exceeds the protocol's seeds = "
                             f"{settings.seeds}: the study long continues those runs only")

    @property
    def fair_methods(self):
        """The methods of the fair comparison, in table order."""
        return tuple(reg for reg, _ in self.fair_grid)

    def to_dict(self):
        """JSON-ready dict of every field."""
        return dataclasses.asdict(self)


#: preset name (as ``reproduce --preset``) -> overrides of the study defaults
STUDY_PRESETS = {
    "full": {},
    "quick": dict(select_step=None, fair_grid=(("sparsity", (0.1, 1.0)), ("loghoyer", (0.1, 1.0)),
                             ("rayleigh", (0.1, 1.0)), ("l1", (1e-5, 1e-4)),
                             ("hoyer", (1e-5, 1e-4))),
                  finetune_levels=(50.0, 90.0, 99.0), finetune_epochs=1, layout_permutations=3,
                  long_epochs=4, long_max=2, regime_levels=(90.0, 99.0),
                  regime_select_epochs=1, regime_finetune_epochs=(1, 2), regime_fraction=0.75,
                  regime_iterative_methods=("none", "sparsity", "l1")),
    "tiny": dict(select_step=None, fair_grid=(("sparsity", (0.01, 1.0)), ("loghoyer", (0.01, 1.0)),
                            ("rayleigh", (0.01, 1.0)), ("l1", (1e-4, 1e-3)),
                            ("hoyer", (1e-4,))),
                 finetune_levels=(50.0, 90.0), finetune_epochs=1, layout_permutations=3,
                 long_epochs=5, long_climb=-1.0, long_max=2, regime_levels=(50.0, 90.0),
                 regime_select_epochs=1, regime_finetune_epochs=(1, 2),
                 regime_iterative_level=90.0),
}
# the regime study's grids of the small presets are their fair grids (whose runs it reuses)
for _preset in ("quick", "tiny"):
    STUDY_PRESETS[_preset]["regime_grid"] = STUDY_PRESETS[_preset]["fair_grid"]
