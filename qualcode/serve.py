"""`qualcode serve`: start the browser app behind its token and Host check, and stop it cleanly.

The app runs in a child process (`python -m qualcode.ui.server`, an `st.App` with the gate of
qualcode/ui/gate.py). This process makes the token, checks the port, waits until the app
answers, prints the address with the token (as Jupyter does), and stays the child's keeper:
SIGTERM, SIGINT (Ctrl+C) and SIGHUP are passed on to the child, which is killed if it has not
stopped within a few seconds, so the port is free when this command returns. On Linux the
child also gets SIGTERM from the kernel if this process dies without running any handler
(kill -9), so no orphan keeps the port.

The core imports no Streamlit; this module only starts it in another process.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from qualcode.errors import QualcodeError
from qualcode.ui.gate import WILDCARDS, new_token

STARTUP_SECONDS = 120  # the first run builds the sample project before the page can render
STOP_SECONDS = 10  # after this, a child that ignored SIGTERM is killed
FORWARDED = tuple(s for s in (getattr(signal, "SIGTERM", None), signal.SIGINT, getattr(signal, "SIGHUP", None))
                  if s is not None)


def url_host(address: str) -> str:
    """The host to print in the address: a wildcard bind is reached on this machine as 127.0.0.1."""
    address = address.strip().strip("[]")
    if address in WILDCARDS:
        return "127.0.0.1"
    return f"[{address}]" if ":" in address else address


def check_port(address: str, port: int) -> None:
    """E975 if something already listens there (Streamlit would say so only in its log)."""
    host = address.strip().strip("[]") or "0.0.0.0"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # The server sets SO_REUSEADDR too, so a port in TIME_WAIT after a stop counts as free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise QualcodeError("E975", port=port, address=address, reason=f" ({exc.strerror or exc})") from None


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux only: the kernel sends the child SIGTERM when this process dies, even by kill -9."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _ready(url: str, proc: subprocess.Popen, deadline: float) -> bool:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            time.sleep(0.25)
    return False


def team_env(config_path: str, echo: Callable[[str], None]) -> tuple[dict[str, str], str, int, list[str]]:
    """The team server's environment, address, port and the lines to print once it answers.

    The settings file is checked here, before anything starts (E520-E534 name the key). The
    child gets only its path: the secrets in it reach Streamlit in memory (qualcode/ui/server.py),
    and nothing printed here contains them."""
    from qualcode.team.config import load

    cfg = load(config_path)
    if os.name == "posix" and cfg.path.stat().st_mode & 0o077:
        echo(f"qualcode: warning: {cfg.path} holds the sign-in secrets and other users of this machine "
             f"can read it; fix: chmod 600 {cfg.path}")
    env = {k: v for k, v in os.environ.items() if k not in ("QUALCODE_TOKEN", "QUALCODE_PROJECT")}
    env["QUALCODE_TEAM_CONFIG"] = str(cfg.path)
    public = cfg.auth["redirect_uri"].rsplit("/oauth2callback", 1)[0]
    lines = [f"qualcode: team server listening on {url_host(cfg.address)}:{cfg.port}; users open {public}",
             f"  ({cfg.summary()}; Ctrl+C stops it)"]
    return env, cfg.address, cfg.port, lines


def serve(project: str | None, port: int, address: str, allow_hosts: tuple[str, ...] = (),
          echo: Callable[[str], None] = print, team: str | None = None) -> int:
    """Run the app until a signal stops it; returns the exit code for the command.

    With `team` (a settings file), the team server: it binds where the file says, everyone signs in,
    and `project`, `port`, `address` and `allow_hosts` are not used."""
    if team:
        env, address, port, lines = team_env(team, echo)
        check_port(address, port)
    else:
        env = dict(os.environ)
        if project:
            if "://" not in project and not Path(project).exists():
                raise QualcodeError("E101", path=project)
            env["QUALCODE_PROJECT"] = project if "://" in project else str(Path(project).resolve())
        check_port(address, port)
        # A fixed token may come from the environment (a bookmark that survives restarts, tests);
        # otherwise a new one for every start.
        token = env.get("QUALCODE_TOKEN") or new_token()
        env.update(QUALCODE_TOKEN=token, QUALCODE_ADDRESS=address, QUALCODE_PORT=str(port),
                   QUALCODE_ALLOWED_HOSTS=",".join(allow_hosts))
        lines = [f"qualcode: open http://{url_host(address)}:{port}/?token={token}",
                 "  (the address is the key to this session: share it with no one; Ctrl+C stops the app)"]
    linux = sys.platform.startswith("linux")
    proc = subprocess.Popen([sys.executable, "-m", "qualcode.ui.server"], env=env,
                            preexec_fn=_die_with_parent if linux else None)
    stopping = threading.Event()

    def stop(signum: int, _frame: object) -> None:
        if stopping.is_set():
            return
        stopping.set()
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        killer = threading.Timer(STOP_SECONDS, lambda: proc.poll() is None and proc.kill())
        killer.daemon = True
        killer.start()

    previous = {s: signal.signal(s, stop) for s in FORWARDED}
    try:
        base = f"http://{url_host(address)}:{port}"
        if _ready(base, proc, time.monotonic() + STARTUP_SECONDS):
            for line in lines:
                echo(line)
        elif not stopping.is_set():
            if proc.poll() is None:
                stop(signal.SIGTERM, None)
                proc.wait()
                raise QualcodeError("E976", reason=f"no answer on {base} within {STARTUP_SECONDS} s")
            raise QualcodeError("E976", reason=f"the server exited with code {proc.returncode}")
        code = proc.wait()
        if code != 0 and not stopping.is_set():
            raise QualcodeError("E976", reason=f"the server exited with code {code}")
        return 0
    finally:
        if proc.poll() is None:  # an exception here: never leave the child behind
            proc.kill()
            proc.wait()
        for s, handler in previous.items():
            signal.signal(s, handler)
