"""What the trainer prints: the configuration block, one line per epoch, an in-epoch indicator.

The per-epoch lines go through the ``log`` callable (``print`` by default, so they can be captured
or silenced). The in-epoch indicator writes ``\\r``-overwritten text to stderr and is shown only
when stderr is a terminal, so logs and CI output stay clean.
"""

from __future__ import annotations

import sys
import time

__all__ = ["format_duration", "epoch_line", "InEpochProgress", "PENALTY_SYMBOL"]

#: symbol printed before the per-layer penalty values
PENALTY_SYMBOL = {"sparsity": "l_C", "entropy": "H_C", "l1": "L1", "hoyer": "H_S"}


def format_duration(seconds):
    """``"42.0s"``, ``"3m 05s"`` or ``"1h 02m"``.

    Examples
    --------
    >>> format_duration(4.04), format_duration(185), format_duration(3725)
    ('4.0s', '3m 05s', '1h 02m')
    """
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, sec = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m {sec:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def epoch_line(record, epochs, reg, eta_seconds):
    """One progress line for a finished epoch.

    Examples
    --------
    >>> r = {"epoch": 2, "train_ce": 0.25, "penalty": -3.5, "penalty_per_layer": [-2.0, -1.5],
    ...      "test_accuracy": 0.9712, "seconds": 3.2, "eval_seconds": 0.1}
    >>> epoch_line(r, 20, "sparsity", 54.0)
    'epoch  2/20  ce 0.25000  penalty -3.5000 (l_C -2.0000 -1.5000)  test 97.12%  3.2s  ETA 54.0s'
    """
    width = len(str(epochs))
    parts = [f"epoch {record['epoch']:>{width}}/{epochs}", f"ce {record['train_ce']:.5f}"]
    if reg != "none":
        layers = " ".join(f"{v:.4f}" for v in record["penalty_per_layer"])
        parts.append(f"penalty {record['penalty']:.4f} ({PENALTY_SYMBOL.get(reg, reg)} {layers})")
    if "val_accuracy" in record:
        parts.append(f"val {100 * record['val_accuracy']:.2f}%")
    parts.append(f"test {100 * record['test_accuracy']:.2f}%")
    parts.append(format_duration(record["seconds"]))
    parts.append(f"ETA {format_duration(eta_seconds)}")
    return "  ".join(parts)


class InEpochProgress:
    """A light ``\\r`` progress indicator on ``stream``, active only if it is a TTY.

    Parameters
    ----------
    epoch, epochs, n_steps : int
    stream : file, default sys.stderr
    enabled : bool, optional
        Force on/off; default: ``stream.isatty()``.
    """

    def __init__(self, epoch, epochs, n_steps, stream=None, enabled=None, interval=0.25):
        self.stream = sys.stderr if stream is None else stream
        if enabled is None:
            enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.enabled, self.epoch, self.epochs, self.n_steps = enabled, epoch, epochs, n_steps
        self.interval, self._last, self._start = interval, 0.0, time.perf_counter()

    def update(self, step):
        """Show ``step`` of ``n_steps`` done (rate-limited to one write per ``interval``)."""
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self._last < self.interval and step < self.n_steps:
            return
        self._last = now
        frac = step / max(self.n_steps, 1)
        elapsed = now - self._start
        eta = elapsed / frac - elapsed if frac > 0 else 0.0
        self.stream.write(f"\r  epoch {self.epoch}/{self.epochs}: {100 * frac:5.1f}% "
                          f"({step}/{self.n_steps} steps, {format_duration(eta)} left)  ")
        self.stream.flush()

    def close(self):
        """Erase the indicator line."""
        if self.enabled:
            self.stream.write("\r" + " " * 70 + "\r")
            self.stream.flush()
