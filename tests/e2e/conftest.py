"""Real-browser tests: a Streamlit server on 127.0.0.1 and Debian's Chromium driven by Playwright.

Chromium is found at $QUALCODE_CHROMIUM, /usr/bin/chromium or on PATH. Without it
these tests skip with the reason, except in CI (CI=true), where they fail: the CI
script installs Chromium, so a missing browser there is a broken set-up.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def find_chromium() -> str | None:
    for candidate in (os.environ.get("QUALCODE_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        message = ("Chromium not found (looked for $QUALCODE_CHROMIUM, /usr/bin/chromium, chromium on PATH). "
                   "Install it: apt-get install chromium")
        if os.environ.get("CI"):
            pytest.fail(message + " — required in CI.")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, args=FLAGS, headless=True)
        yield b
        b.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served(str):
    """The app's base URL ("http://127.0.0.1:PORT") and its token. A browser gets in through
    `at(path)`: the first request carries ?token=..., the gate answers with a cookie and sends
    it on to the same address without the token."""

    token: str

    def __new__(cls, url: str, token: str) -> Served:
        served = super().__new__(cls, url)
        served.token = token
        return served

    def at(self, path: str = "/") -> str:
        joiner = "&" if "?" in path else "?"
        return f"{self}{path}{joiner}token={self.token}"


@contextlib.contextmanager
def serve(project: Path, log_path: Path, token: str | None = None) -> Iterator[Served]:
    """`qualcode serve PROJECT` on a free local port, as a user starts it; yields its URL (with
    the token, see `Served`) and stops it with SIGTERM, as a service manager would."""
    port = _free_port()
    token = token or secrets.token_urlsafe(24)
    env = {**os.environ, "QUALCODE_PROJECT": "", "QUALCODE_TOKEN": token,
           "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    log = log_path.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "qualcode", "serve", str(project), "--port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"qualcode serve exited: {log_path.read_text()}")
            if f"?token={token}" in log_path.read_text():  # printed once the app answers
                break
            time.sleep(0.3)
        else:
            pytest.fail(f"qualcode serve did not start: {log_path.read_text()}")
        yield Served(url, token)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture
def coded_sample_copy(coded_sample: Path, tmp_path: Path) -> Path:
    """A fresh copy of the auto-coded sample (`coded_sample` of tests/conftest.py: codes and rule
    suggestions to click). A module whose `app_server` should serve it rather than the plain sample
    imports it and sets `sample_copy = coded_sample_copy`: pytest names a fixture by the name it has
    in the module, so that overrides the conftest's `sample_copy` in that module only."""
    dest = tmp_path / "sample.qcdb"
    shutil.copy(coded_sample, dest)
    return dest


@pytest.fixture
def app_server(sample_copy: Path, tmp_path: Path) -> Iterator[Served]:
    """The app on a copy of the sample project."""
    with serve(sample_copy, tmp_path / "streamlit.log") as url:
        yield url


@pytest.fixture
def serve_app():
    """`serve` itself, for tests that start and stop the app (a server restart)."""
    return serve
