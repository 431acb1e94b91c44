"""The studies beyond the paper: ``entropy-ref reproduce --study fair,ablation,...``.

Modules, each importing only those listed before it:

:mod:`.context`                          what every study shares (:class:`Context`, the work
                                         estimate, method records)
:mod:`.regime_work`, :mod:`.published`   the regime study's work on one model (committed beside
                                         it), and the published results it is compared with
:mod:`.regime_tasks`                     that work as steps for the worker processes of ``--jobs``
:mod:`.fair`, :mod:`.ablation`,          one module per study, each with ``run(ctx)`` and
:mod:`.finetune`, :mod:`.layout`,        ``estimate(ctx)`` (``ablation``, ``layout`` and
:mod:`.long`, :mod:`.regime`             ``regime`` reuse the fair comparison's selection helpers)
:mod:`.regime_report`                    the regime study's tables and verdict facts
:mod:`.registry`                         every study declared once (name, run, estimate, needs)
:mod:`.settings`                         :class:`StudySettings`, the presets, ``--study`` parsed
:mod:`.report`, :mod:`.figures`          the tables of ``studies.md`` and the figures
:mod:`.runner`                           :func:`run_studies`: estimate, run, write
"""

from ..progress import Tracker
from .context import Context, dense_record, seeds_record
from .figures import envelope
from .registry import REGISTRY, STUDIES, Study, resolve
from .runner import STUDIES_JSON, STUDIES_MD, run_studies
from .settings import STUDY_PRESETS, StudySettings, parse_studies

__all__ = ["REGISTRY", "STUDIES", "STUDIES_JSON", "STUDIES_MD", "STUDY_PRESETS", "Context",
           "Study", "StudySettings", "Tracker", "dense_record", "envelope", "parse_studies",
           "resolve", "run_studies", "seeds_record"]
