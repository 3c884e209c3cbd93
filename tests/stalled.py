"""Kill -9 a qualcode command in the middle of its work, for the all-or-nothing tests.

Commands that write in one transaction have a test hook (an environment variable named by
the module that owns the transaction, e.g. `qualcode.runs.STALL_ENV`): with it set, the
command prints "stalling" on stderr at its most fragile moment and sleeps. `stalled` runs the
command, waits for that line, hands the sleeping process to the test, and kills it with
SIGKILL when the test's block ends."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _lines(stream, out: queue.Queue) -> None:
    for line in iter(stream.readline, ""):
        out.put(line)
    out.put(None)


@contextmanager
def stalled(command: list[str], *, cwd: Path, hook: str, seconds: int = 30,
            wait: float = 90) -> Iterator[subprocess.Popen]:
    """`python -m qualcode COMMAND`, stopped at its stall point; SIGKILLed on leaving the block."""
    env = {**os.environ, hook: str(seconds)}
    proc = subprocess.Popen([sys.executable, "-m", "qualcode", *command], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_lines, args=(proc.stderr, lines), daemon=True).start()
    seen: list[str] = []
    try:
        deadline = time.monotonic() + wait
        while not any("stalling" in s for s in seen):
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            assert line is not None, f"`qualcode {command[0]}` ended without stalling: {''.join(seen)}"
            seen.append(line)
        assert proc.poll() is None
        yield proc
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
