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

from . import registry

__all__ = ["FAIR_GRID", "StudySettings", "STUDY_PRESETS", "parse_studies"]

_HALF_DECADES = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)

#: the fair study's validation grids: half-decade steps, at least six each, spanning each method's
#: range from nearly dense to clearly accuracy-limiting (the l1 and hoyer ends from the
#: paper-protocol selection, the l_C family's from the sign / lambda sweep; rayleigh still costs
#: little accuracy at 3, so its grid goes on to 30)
FAIR_GRID = (("sparsity", _HALF_DECADES), ("loghoyer", _HALF_DECADES),
             ("rayleigh", _HALF_DECADES + (10.0, 30.0)),
             ("l1", (3e-6, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3)),
             ("hoyer", (1e-6, 3e-6, 1e-5, 3e-5, 1e-4, 3e-4)))


def parse_studies(text):
    """Study names from ``"fair,long"`` (or ``"all"``) in run order; ValueError naming a bad one.

    Examples
    --------
    >>> parse_studies("long,fair")
    ('fair', 'long')
    >>> parse_studies("fare")
    Traceback (most recent call last):
    ...
    ValueError: unknown study 'fare'; choose from fair, ablation, finetune, layout, long, all
    """
    names = [s.strip() for s in str(text).split(",") if s.strip()]
    if not names:
        raise ValueError("--study needs at least one study name")
    known = registry.STUDIES
    for name in names:
        if name != "all" and name not in known:
            raise ValueError(f"unknown study {name!r}; choose from {', '.join(known)}, all")
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

    def __post_init__(self):
        known = registry.STUDIES
        if isinstance(self.studies, str):
            raise ValueError(f"studies must be a tuple of study names, got the string "
                             f"{self.studies!r} (parse_studies reads 'fair,long')")
        bad = [s for s in self.studies if s not in known]
        if bad:
            raise ValueError(f"unknown study {bad[0]!r}; choose from {', '.join(known)}")
        object.__setattr__(self, "studies", tuple(s for s in known if s in self.studies))
        for reg, grid in self.fair_grid:
            if len(grid) < 1 or any(not (lam > 0) for lam in grid):
                raise ValueError(f"fair_grid[{reg!r}] must be a non-empty list of lambdas > 0")
        if not all(0 < p < 100 for p in self.finetune_levels) or not self.finetune_levels:
            raise ValueError(f"finetune_levels must be percentages in (0, 100), got "
                             f"{self.finetune_levels}")
        for name, low in (("finetune_epochs", 1), ("layout_permutations", 1), ("long_epochs", 1),
                          ("long_window", 1), ("long_max", 1)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
        for name in ("long_seeds", "ablation_seeds", "layout_seeds", "select_epochs"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                      or value < 1):
                raise ValueError(f"{name} must be an integer >= 1 or None, got {value!r}")
        if self.select_target is not None and not 0 < self.select_target <= 1:
            raise ValueError(f"select_target must be an accuracy in (0, 1], got "
                             f"{self.select_target}")
        if not self.ablation_lam > 0:
            raise ValueError(f"ablation_lam must be > 0, got {self.ablation_lam}")

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
                  long_epochs=4, long_max=2),
    "tiny": dict(select_step=None, fair_grid=(("sparsity", (0.01, 1.0)), ("loghoyer", (0.01, 1.0)),
                            ("rayleigh", (0.01, 1.0)), ("l1", (1e-4, 1e-3)),
                            ("hoyer", (1e-4,))),
                 finetune_levels=(50.0, 90.0), finetune_epochs=1, layout_permutations=3,
                 long_epochs=5, long_climb=-1.0, long_max=2),
}
