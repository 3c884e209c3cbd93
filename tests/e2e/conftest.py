"""Real-browser tests: a Streamlit server on 127.0.0.1 and Debian's Chromium driven by Playwright.

Chromium is found at $QUALCODE_CHROMIUM, /usr/bin/chromium or on PATH. Without it
these tests skip with the reason, except in CI (CI=true), where they fail: the CI
script installs Chromium, so a missing browser there is a broken set-up.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
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


@contextlib.contextmanager
def serve(project: Path, log_path: Path) -> Iterator[str]:
    """`streamlit run app.py` on a free local port for `project`; yields its URL and stops it."""
    port = _free_port()
    env = {**os.environ, "QUALCODE_PROJECT": str(project), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    log = log_path.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
            if proc.poll() is not None:
                break
        else:
            pytest.fail(f"Streamlit did not start: {log_path.read_text()}")
        if proc.poll() is not None:
            pytest.fail(f"Streamlit exited: {log_path.read_text()}")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture
def app_server(sample_copy: Path, tmp_path: Path) -> Iterator[str]:
    """The app on a copy of the sample project."""
    with serve(sample_copy, tmp_path / "streamlit.log") as url:
        yield url


@pytest.fixture
def serve_app():
    """`serve` itself, for tests that start and stop the app (a server restart)."""
    return serve
