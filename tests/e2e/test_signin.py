"""Sign-in on the team server in a real Chromium against a real OpenID provider (issue 16.2, 16.4).

`qualcode serve --team CONFIG` runs as an administrator would start it; the provider is
oidc-provider-mock (from PyPI: a small OpenID Connect server made for tests, started here on
127.0.0.1, offline), where the browser signs in by typing the user's e-mail as its subject.
Streamlit's own `st.login` does the OpenID dance (authorization code, token exchange, signed
identity cookie). One server and one provider serve the module; each test has its own browser
context (its own cookies), as a separate person would.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from qualcode import Project
from qualcode.team import members
from tests.e2e.test_workbench import ROOT_SEL, confirmed, drag_select

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
LEAD, CODER, VIEWER, LEAVER = "lead@example.org", "coder@example.org", "viewer@example.org", "leaver@example.org"
COOKIE_SECRET = "team-cookie-secret-" + "k" * 24
CLIENT_SECRET = "team-client-secret-never-printed"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, proc: subprocess.Popen, log: Path, what: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{what} exited: {log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"{what} did not answer on {url}: {log.read_text()}")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Team:
    def __init__(self, url: str, provider: str, project: Path, log: Path) -> None:
        self.url, self.provider, self.project, self.log = url, provider, project, log


@pytest.fixture(scope="module")
def team(coded_sample: Path, chromium_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Team]:
    """The OpenID provider and `qualcode serve --team` on a folder with the coded sample project."""
    root = tmp_path_factory.mktemp("team")
    folder = root / "projects"
    folder.mkdir()
    project = folder / "study.qcdb"
    shutil.copy(coded_sample, project)
    with Project.open(project) as p:
        members.seed_owners(p.engine, [LEAD])
        for who, role in ((CODER, "coder"), (VIEWER, "viewer"), (LEAVER, "coder")):
            members.set_member(p.engine, who, role, actor=LEAD)
    op_port, app_port = _free_port(), _free_port()
    provider = f"http://127.0.0.1:{op_port}"
    op_log = root / "provider.log"
    op = subprocess.Popen([sys.executable, "-m", "oidc_provider_mock", "--port", str(op_port), "--host", "127.0.0.1"],
                          stdout=op_log.open("w"), stderr=subprocess.STDOUT, env={**os.environ, "NO_COLOR": "1"})
    config = root / "team.toml"
    config.write_text(f"""[server]
address = "127.0.0.1"
port = {app_port}

[projects]
folder = "{folder}"

[team]
owners = ["{LEAD}"]

[auth]
redirect_uri = "http://127.0.0.1:{app_port}/oauth2callback"
cookie_secret = "{COOKIE_SECRET}"
client_id = "qualcode-tests"
client_secret = "{CLIENT_SECRET}"
server_metadata_url = "{provider}/.well-known/openid-configuration"
""", encoding="utf-8")
    config.chmod(0o600)
    log = root / "serve.log"
    server = subprocess.Popen([sys.executable, "-m", "qualcode", "serve", "--team", str(config)], cwd=ROOT,
                              stdout=log.open("w"), stderr=subprocess.STDOUT,
                              env={**os.environ, "QUALCODE_PROJECT": "", "QUALCODE_TOKEN": ""})
    try:
        _wait(f"{provider}/.well-known/openid-configuration", op, op_log, "the OpenID provider")
        url = f"http://127.0.0.1:{app_port}"
        deadline = time.monotonic() + 120
        while "team server listening" not in log.read_text():
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"qualcode serve --team did not start: {log.read_text()}")
            time.sleep(0.3)
        yield Team(url, provider, project, log)
    finally:
        _stop(server)
        _stop(op)


@pytest.fixture
def person(browser) -> Iterator[object]:
    """A browser context of its own: one person, with their own cookies."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield context
    context.close()


def sign_in(context, team: Team, who: str, path: str = "/"):
    page = context.new_page()
    page.goto(team.url + path, wait_until="domcontentloaded")
    page.get_by_role("button", name="Sign in").click(timeout=60_000)
    page.wait_for_url(f"{team.provider}/**", timeout=30_000)
    page.fill("input[name=sub]", who)  # the provider's form: the subject, which it also sends as e-mail
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{team.url}/**", timeout=30_000)
    page.get_by_text("Signed in:").wait_for(timeout=60_000)
    return page


def open_transcript(page, team: Team, query: str = "") -> None:
    page.goto(f"{team.url}/code?transcript=kz03{query}", wait_until="domcontentloaded")
    page.locator(f"{ROOT_SEL} .qc-turn").first.wait_for(timeout=60_000)


def code_words(page, words: str, code: str = "push.unemployment") -> None:
    drag_select(page, words)
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def manual(team: Team) -> list[tuple[str, str, str]]:
    with Project.open(team.project) as p:
        rows = p.codings(["kz03"], origin="manual")
    return [(r.code, r.text, r.coder) for r in rows.itertuples()]


def test_coder_signs_in_codes_and_the_coding_is_theirs_whatever_the_url_says(team: Team, person) -> None:
    page = sign_in(person, team, CODER)
    # A forged name in the address changes nothing: the workbench codes as the signed-in identity.
    open_transcript(page, team, "&coder=mallory")
    page.locator(f"{ROOT_SEL}[data-coder='{CODER}']").wait_for(timeout=30_000)
    assert page.get_by_role("textbox", name="Coder").count() == 0
    words = "недалеко от Тараза"
    code_words(page, words)
    confirmed(page)
    assert (("push.unemployment", words, CODER)) in manual(team)
    assert not [r for r in manual(team) if r[2] == "mallory"]
    assert "coder=mallory" not in page.url
    # The secrets of the settings file are in no log line.
    log = team.log.read_text()
    assert "team server listening" in log and CLIENT_SECRET not in log and COOKIE_SECRET not in log


def test_viewer_is_refused_with_a_message_then_signs_out(team: Team, person) -> None:
    before = manual(team)
    page = sign_in(person, team, VIEWER)
    page.get_by_text("Role: viewer").wait_for(timeout=30_000)
    open_transcript(page, team)
    code_words(page, "в Байзакском районе")
    # The alert itself, not just the text: a rerun may draw the page between a wait on the text and
    # a read of the alerts (seen once on a loaded machine: the text found, no alert read).
    alert = page.locator("[data-testid='stAlert']", has_text="E526").first
    alert.wait_for(timeout=30_000)
    assert "code needs the role coder" in alert.inner_text().replace("\n", " ")
    assert manual(team) == before

    page.get_by_role("button", name="Sign out").click()
    # The provider's end-session page (RP-initiated logout), then back to the app, signed out.
    page.wait_for_url(f"{team.provider}/**", timeout=30_000)
    page.get_by_role("button", name="End session").click()
    page.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
    page.goto(f"{team.url}/code?transcript=kz03", wait_until="domcontentloaded")
    page.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
    assert page.locator(ROOT_SEL).count() == 0


def test_a_removed_member_with_the_page_open_is_refused_at_the_next_action(team: Team, person) -> None:
    page = sign_in(person, team, LEAVER)
    open_transcript(page, team)
    with Project.open(team.project) as p:  # an owner removes them (as the Members page does)
        members.remove_member(p.engine, LEAVER, actor=LEAD)
    before = manual(team)
    code_words(page, "Тараза")
    page.get_by_text("E525").first.wait_for(timeout=30_000)
    assert manual(team) == before


def test_the_team_server_answers_only_its_own_names(team: Team) -> None:
    """No token in team mode, but the Host check stays (DNS rebinding): a foreign name is refused."""
    request = urllib.request.Request(team.url + "/", headers={"Host": "evil.example"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403 and "E978" in refused.value.read().decode()
    with urllib.request.urlopen(team.url + "/", timeout=10) as page:  # its own name: the app
        assert page.status == 200

