"""Training LeNet300 on MNIST with a regularizer: the loop, run-directory I/O, progress printing.

Modules:

* :mod:`.config` -- :class:`TrainConfig`, the validated, JSON-saved run definition;
* :mod:`.step` -- one epoch of mini-batch Adam with preallocated buffers;
* :mod:`.loop` -- :func:`train`: lock the run directory, start or resume, evaluate, record,
  checkpoint, commit;
* :mod:`.identity` -- what a run is (every setting and the data fingerprint);
* :mod:`.start` -- fresh weights, or the checkpoint of the same run;
* :mod:`.stats` -- what each ``history.json`` record holds; :mod:`.history` reads it back;
* :mod:`.runio` -- atomic ``config.json`` / ``history.json`` / ``model.npz`` and :func:`load_run`;
* :mod:`.runrecord` -- the commit record ``run.json`` and whether a directory holds a finished run;
* :mod:`.progress` -- the printed lines.
"""

from .config import TrainConfig
from .loop import Dataset, RunResult, prepare_data, train
from .runio import load_checkpoint, load_run
from .step import TrainingDivergedError

__all__ = ["TrainConfig", "RunResult", "Dataset", "prepare_data", "train", "load_run",
           "load_checkpoint", "TrainingDivergedError"]
