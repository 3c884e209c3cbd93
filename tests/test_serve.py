"""`qualcode serve` as a process (issue 18, point 6): it prints a tokened address, SIGTERM and
SIGINT stop the Streamlit child too and free the port, a killed parent takes its child along
(Linux), and a busy port is a numbered error. Real processes on real ports, no browser."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX signals")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def children(pid: int) -> list[int]:
    """Every process whose parent is `pid` (from /proc: no psutil needed)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def start(project: Path, port: int, log: Path, **env: str) -> tuple[subprocess.Popen, str]:
    handle = log.open("w")
    proc = subprocess.Popen([sys.executable, "-m", "qualcode", "serve", str(project), "--port", str(port)],
                            stdout=handle, stderr=subprocess.STDOUT, cwd=ROOT,
                            env={**os.environ, "QUALCODE_PROJECT": "", **env})
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        found = re.search(rf"http://127\.0\.0\.1:{port}/\?token=([\w-]+)", log.read_text())
        if found:
            return proc, found.group(1)
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    proc.kill()
    pytest.fail(f"qualcode serve did not print its address: {log.read_text()}")


def wait_gone(pids: list[int], seconds: float = 20) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.1)
    return [p for p in pids if alive(p)]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_streamlit_child_and_frees_the_port(sample_copy: Path, tmp_path: Path,
                                                               signum: int) -> None:
    port = free_port()
    proc, _ = start(sample_copy, port, tmp_path / "serve.log")
    child = children(proc.pid)
    assert len(child) == 1 and listening(port)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=5) as answer:
        assert answer.status == 200
    proc.send_signal(signum)  # only to qualcode serve, as a service manager or `kill` does
    assert proc.wait(timeout=30) == 0
    assert wait_gone(child) == []
    assert not listening(port)
    with socket.socket() as s:  # free for the next server (which sets SO_REUSEADDR, as this does)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
    assert "Traceback" not in (tmp_path / "serve.log").read_text()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_killed_qualcode_serve_takes_its_child_along(sample_copy: Path, tmp_path: Path) -> None:
    port = free_port()
    proc, _ = start(sample_copy, port, tmp_path / "serve.log")
    child = children(proc.pid)
    assert len(child) == 1
    proc.kill()  # SIGKILL: no handler of ours runs
    proc.wait(timeout=10)
    assert wait_gone(child) == []
    assert not listening(port)


def test_the_printed_token_opens_the_app_and_nothing_else_does(sample_copy: Path, tmp_path: Path) -> None:
    port = free_port()
    proc, token = start(sample_copy, port, tmp_path / "serve.log",
                        QUALCODE_TOKEN="")  # an empty setting: a fresh random token
    try:
        assert len(token) >= 24
        base = f"http://127.0.0.1:{port}"

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        opener = urllib.request.build_opener(NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as refused:
            opener.open(f"{base}/", timeout=10)
        assert refused.value.code == 403 and "E977" in refused.value.read().decode()
        with pytest.raises(urllib.error.HTTPError) as wrong:
            opener.open(f"{base}/?token=not-the-token", timeout=10)
        assert wrong.value.code == 403
        with pytest.raises(urllib.error.HTTPError) as moved:
            opener.open(f"{base}/code?transcript=kz03&token={token}", timeout=10)
        assert moved.value.code == 302 and moved.value.headers["Location"] == "/code?transcript=kz03"
        cookie = moved.value.headers["Set-Cookie"]
        assert cookie.startswith(f"qualcode_token_{port}={token};") and "HttpOnly" in cookie
        request = urllib.request.Request(f"{base}/code", headers={"Cookie": f"qualcode_token_{port}={token}"})
        with opener.open(request, timeout=10) as page:
            assert page.status == 200 and b"<script" in page.read()
        foreign = urllib.request.Request(f"{base}/", headers={"Cookie": f"qualcode_token_{port}={token}",
                                                             "Host": f"rebound.example:{port}"})
        with pytest.raises(urllib.error.HTTPError) as rebound:
            opener.open(foreign, timeout=10)
        assert rebound.value.code == 403 and "E978" in rebound.value.read().decode()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_busy_port_is_a_numbered_error(sample_copy: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "qualcode", "serve", str(sample_copy), "--port", str(port)],
                              capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 1
    assert "[E975]" in done.stderr and str(port) in done.stderr and "Traceback" not in done.stderr


def listeners(port: int) -> set[str]:
    """The local addresses listening on `port`, from /proc/net/tcp{,6} (state 0A = LISTEN)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads the kernel's socket table")
def test_streamlit_run_app_py_listens_on_this_machine_only(sample_copy: Path, tmp_path: Path) -> None:
    """No --server.address given: the shipped .streamlit/config.toml says 127.0.0.1."""
    port = free_port()
    log = (tmp_path / "streamlit.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.port", str(port)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "QUALCODE_PROJECT": str(sample_copy)})
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not listening(port) and proc.poll() is None:
            time.sleep(0.2)
        assert listening(port), (tmp_path / "streamlit.log").read_text()
        assert listeners(port) == {"0100007F"}  # 127.0.0.1, and nothing on 0.0.0.0 or ::
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
