"""The child process of ``entropy-ref verify --fn``: import the port by name, run the check, stream
every call and every result to the supervising command (:mod:`.supervise`).

``python -m entropy_ref.verify.child RESULT_FD CONTROL_FD CONFIG_JSON`` (started by the
supervisor only). The port keeps the inherited stdout and stderr. A thread watches the control
pipe: when the supervisor goes away (its end of the pipe closes), this process exits, so no port
outlives the command that started it.
"""

from __future__ import annotations

import json
import os
import sys
import threading

from .port_import import PortImportError, import_port
from .run import run_check
from .wire import send

#: the exit status of a child whose supervisor went away
ORPHANED = 70


def _watch(control_fd: int) -> None:
    """Exit the whole process once the supervisor's end of the control pipe closes."""
    try:
        while os.read(control_fd, 1024):
            pass
    except OSError:
        pass
    os._exit(ORPHANED)


def main(argv: list[str] | None = None) -> int:
    """Run the check the supervisor asked for; its messages go to ``RESULT_FD``."""
    result_fd, control_fd, raw = argv if argv is not None else sys.argv[1:]
    result_fd, control_fd, config = int(result_fd), int(control_fd), json.loads(raw)
    threading.Thread(target=_watch, args=(control_fd,), daemon=True).start()
    sys.path[:] = config["sys_path"]

    begun = []

    def listener(event, payload):
        begun.append(event == "begin")
        send(result_fd, (event, payload))
    send(result_fd, ("importing", None))
    try:
        fn = import_port(config["spec"])
        report = run_check(fn, listener=listener, **config["kwargs"])
    except (PortImportError, ValueError, TypeError) as exc:
        if begun:       # not an argument error: a failure of the kit itself (a traceback)
            raise
        send(result_fd, ("user_error", str(exc)))
        return 2
    except KeyboardInterrupt as exc:      # raised by the port: the run stops, the report so far
        sys.stdout.flush()
        send(result_fd, ("interrupted", getattr(exc, "report", None)))
        return 130
    sys.stdout.flush()
    sys.stderr.flush()
    send(result_fd, ("done", report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
