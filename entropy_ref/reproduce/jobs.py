"""Independent runs in N worker processes (``reproduce --jobs N``), with the numbers of one process.

A stage of the reproduction lists the runs it needs that do not depend on each other (a *phase*:
the lambda-selection runs and the fixed-lambda runs; then the runs at the chosen lambdas; the
fine-tuning of each run, ...). With ``--jobs N`` (N > 1) :meth:`Pool.run` trains them, computes
their curves and commits both to disk in N worker processes; the stage's own code then runs as
with one process and finds every run and curve on disk. Without workers it does the work itself.

The numbers are bit-identical for every N: every run is computed by the same code from the same
inputs, and every process that trains runs its BLAS with one thread (:func:`one_blas_thread` in
this process; in a worker, ``OPENBLAS_NUM_THREADS=1`` and the like are in its environment before
NumPy loads, and it pins them again). Workers are started with ``spawn`` (a fresh interpreter, no
inherited locks or threads); the data reaches them once, when they start.

Progress is one line per started and per finished step, with the ETA of the whole invocation; a
task may be several steps (a run's training, then its curves; a model's training, then several
results computed from it at once); the steps waiting for a step that failed are left to the
main process.

Ctrl-C (or any error) stops every worker: each is sent SIGINT, which ends its run after the last
committed epoch (every file is written atomically and committed last), and killed if it does not
end within a few seconds. A worker starts with SIGINT blocked, so a Ctrl-C that comes while its
interpreter is still importing waits until it can stop cleanly. The same command then continues
where they stopped.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import time
from contextlib import contextmanager
from dataclasses import dataclass

from ..train.progress import format_duration
from .progress import Tracker
from .blas import BLAS_ENV, check_jobs, one_blas_thread
from .runstore import RunStore

__all__ = ["WorkerEnv", "Pool", "workers"]

_STOP_SECONDS = 15.0


@dataclass
class WorkerEnv:
    """What a task has in a worker: the worker's run store and the invocation's settings."""

    store: RunStore
    settings: object
    study: object


def _worker(tasks, results, root, data, settings, study):
    """Body of a worker process: run tasks until told to stop (None), report each."""
    results.cancel_join_thread()            # never hang on exit with unread reports
    try:
        _sigint(signal.SIG_UNBLOCK)         # blocked while the interpreter started (Pool)
        with one_blas_thread():
            store = RunStore(root, data, log=lambda *a: None)
            env = WorkerEnv(store, settings, study)
            while (item := tasks.get()) is not None:
                i, task = item
                results.put(("start", i, os.getpid(), None))
                before, t0 = dict(store.timing), time.perf_counter()
                try:
                    task.run(env)
                    problem = None
                except Exception as exc:    # reported; the main process meets it again
                    problem = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
                timing = {k: store.timing[k] - before[k] for k in before}
                results.put(("failed" if problem else "done", i, time.perf_counter() - t0,
                             (problem, timing)))
    except KeyboardInterrupt:
        os._exit(130)


def _key(task):
    """The task a step belongs to (a task without steps is its own)."""
    return getattr(task, "key", task.name)


def _sigint(how):
    """``pthread_sigmask(how, {SIGINT})`` where there is one; the previous mask (or None)."""
    if hasattr(signal, "pthread_sigmask"):
        return signal.pthread_sigmask(how, {signal.SIGINT})
    return None


@contextmanager
def _sigint_blocked():
    """SIGINT blocked in this thread for the block (held, delivered when the block ends)."""
    before = _sigint(signal.SIG_BLOCK)
    try:
        yield
    finally:
        if before is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, before)


@contextmanager
def _environment(extra):
    saved = {k: os.environ.get(k) for k in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class Pool:
    """N worker processes that run the tasks of one phase at a time (see the module docstring).

    Parameters
    ----------
    jobs : int
        Worker processes (>= 2).
    store : RunStore
        This process's store (its root and data go to the workers; its timing collects theirs).
    settings, study
        Handed to the tasks (:class:`WorkerEnv`).
    log : callable
    """

    def __init__(self, jobs, store, settings, study=None, log=print):
        ctx = multiprocessing.get_context("spawn")
        self.store, self.log, self.jobs = store, log, jobs
        self.settings, self.study = settings, study
        self.tasks, self.results = ctx.Queue(), ctx.Queue()
        self.procs = [ctx.Process(target=_worker, name=f"entropy-ref-worker-{k}", daemon=True,
                                  args=(self.tasks, self.results, store.root, store.data,
                                        settings, study))
                      for k in range(jobs)]
        # SIGINT is blocked while a worker starts (the mask is inherited): a Ctrl-C that comes
        # while its interpreter imports is held until its body can stop cleanly (no traceback)
        with _environment(BLAS_ENV), _sigint_blocked():
            for p in self.procs:
                p.start()
        log(f"started {jobs} worker processes (one BLAS thread each)")

    def run(self, tasks, tracker=None, then=None):
        """Run ``tasks`` (those not already done) in the workers; return when all have ended.

        A task with ``parts(store, settings, study)`` runs as those steps, each after the one it
        waits for (its ``after``: by default the one before; several steps may wait for one); the
        steps waiting for a step that failed are not run here (the main process does their work).
        A worker gets its next step when it ends one: the steps of the tasks ``then`` waits for
        first, then the one that starts the longest chain of steps (so the workers end
        together). ``then`` is an optional ``(names, more)``: once every task named in ``names``
        has ended, ``more()`` is called here and the tasks it returns join the same phase (a
        decision that needs only some of the tasks does not wait for the rest).
        """
        tracker = tracker or Tracker(sum(t.estimate for t in tasks), self.log)
        todo, ready, after, left, path = [], [], {}, {}, []
        running = 0
        ended = []
        waiting = set(then[0]) if then else set()

        def order():
            ready.sort(key=lambda j: (_key(todo[j]) not in waiting, -path[j]))

        def add(new):
            for task in new:
                if not task.pending(self.store, self.settings, self.study):
                    continue
                parts = (task.parts(self.store, self.settings, self.study)
                         if hasattr(task, "parts") else [task])
                if not parts:
                    continue
                left[task.name], base = len(parts), len(todo)
                for k, part in enumerate(parts):
                    wait = getattr(part, "after", k - 1 if k else None)
                    if wait is not None and not 0 <= wait < k:
                        raise ValueError(f"step {part.name!r} waits for step {wait} of its task; "
                                         f"it can wait only for one of the {k} before it")
                    after[base + k] = None if wait is None else base + wait
                    if after[base + k] is None:
                        ready.append(base + k)
                    todo.append(part)
                    path.append(part.estimate)
                for k in range(len(todo) - 1, base, -1):   # the longest chain from each step
                    if after[k] is not None:
                        path[after[k]] = max(path[after[k]], todo[after[k]].estimate + path[k])
            order()

        def end(i, line):
            ended.append(i)
            self.log(f"{line}; {len(ended)} of {len(todo)} steps done; {tracker.eta()}")
            left[_key(todo[i])] -= 1
            if not left[_key(todo[i])]:
                waiting.discard(_key(todo[i]))

        add(tasks)
        waiting &= set(left)
        while True:
            if then and not waiting:
                add(then[1]())
                then = None
            while ready and running < self.jobs:
                i = ready.pop(0)
                self.tasks.put((i, todo[i]))
                running += 1
            if not running:
                return
            try:
                kind, i, value, extra = self.results.get(timeout=0.5)
            except queue.Empty:
                self._check_alive()
                continue
            if kind == "start":
                self.log(f"[started] {todo[i].name} (worker pid {value})")
                continue
            running -= 1
            problem, timing = extra
            for k, v in timing.items():
                self.store.timing[k] += v
            tracker.done += todo[i].estimate
            end(i, f"[finished] {todo[i].name} in {format_duration(value)}" if kind == "done"
                else f"[failed] {todo[i].name}: {problem} (run again in the main process)")
            dropped = [i] if kind == "failed" else []
            while dropped:
                for j in [j for j, before in after.items() if before == dropped[0]]:
                    del after[j]
                    dropped.append(j)
                    end(j, f"[skipped] {todo[j].name}: it waits for {todo[i].name}, which "
                        "failed (run in the main process)")
                dropped.pop(0)
            ready.extend(j for j, before in after.items() if before == i)
            order()

    def _check_alive(self):
        for p in self.procs:
            if not p.is_alive():
                raise ChildProcessError(f"worker process {p.pid} ended unexpectedly (exit code "
                                   f"{p.exitcode}); finished runs are kept, run the same command "
                                   "again to continue")

    def close(self):
        """Let every worker finish and end."""
        for _ in self.procs:
            self.tasks.put(None)
        for p in self.procs:
            p.join(_STOP_SECONDS)
        self.stop()

    def stop(self):
        """Stop every worker now: SIGINT (it stops after its last committed epoch), then kill."""
        alive = [p for p in self.procs if p.is_alive()]
        for p in alive:
            try:
                os.kill(p.pid, signal.SIGINT)
            except OSError:
                pass
        deadline = time.monotonic() + _STOP_SECONDS
        for p in alive:
            p.join(max(0.0, deadline - time.monotonic()))
            if p.is_alive():
                p.kill()
                p.join()
        for q in (self.tasks, self.results):
            q.cancel_join_thread()
            q.close()


@contextmanager
def workers(jobs, store, settings, study=None, log=print):
    """A :class:`Pool` of ``jobs`` workers for the block (None for one job); stopped on errors."""
    if check_jobs(jobs) == 1:
        yield None
        return
    pool = Pool(jobs, store, settings, study, log)
    try:
        yield pool
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            log(f"interrupted: stopping {jobs} worker processes; every finished run is kept")
        pool.stop()
        raise
    pool.close()
