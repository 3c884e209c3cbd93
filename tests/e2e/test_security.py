"""The door of `qualcode serve` in a real Chromium (issue 18, point 1): a session without the
token sees only a refusal, a page on a foreign host name that resolves to 127.0.0.1 (DNS
rebinding) is refused even with the token, the token survives page changes and reloads, and a
path outside the app's folders is refused on the Codebook page."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import FLAGS

pytestmark = pytest.mark.e2e


def refusal(page) -> str:
    return page.locator("#qualcode-refusal").inner_text(timeout=30_000)


def test_a_session_without_the_token_sees_only_a_refusal(browser, app_server, sample_copy) -> None:
    page = browser.new_page()
    for path in ("/", "/code?transcript=kz03", "/project"):
        response = page.goto(f"{app_server}{path}", wait_until="domcontentloaded")
        assert response.status == 403
        assert "[E977]" in refusal(page)
        body = page.inner_text("body")
        assert "Transcripts" not in body and "kz03" not in body and str(sample_copy) not in body
    page.goto(f"{app_server}/?token=wrong-{app_server.token}", wait_until="domcontentloaded")
    assert "[E977]" in refusal(page)
    # The app's own WebSocket is closed to this page too, not only the HTML.
    opened = page.evaluate("""url => new Promise(done => {
        const ws = new WebSocket(url);
        ws.onopen = () => done('open'); ws.onerror = () => done('refused');
        setTimeout(() => done('timeout'), 10000);
    })""", app_server.replace("http://", "ws://") + "/_stcore/stream")
    assert opened == "refused"
    page.close()


def test_the_token_survives_page_changes_and_reloads(browser, app_server, sample_copy) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(app_server.at("/"), wait_until="domcontentloaded")
    page.get_by_role("heading", name="Transcripts").wait_for(timeout=60_000)
    assert "token" not in page.url  # traded for the cookie: not in the address bar, history or a screenshot
    cookies = page.context.cookies()
    assert [(c["name"], c["httpOnly"]) for c in cookies if c["name"].startswith("qualcode_token_")] == [
        (f"qualcode_token_{app_server.rsplit(':', 1)[1]}", True)]
    page.get_by_role("link", name="Project").click()  # st.navigation: query parameters are dropped here
    page.get_by_role("heading", name="Project").wait_for(timeout=60_000)
    page.reload(wait_until="domcontentloaded")
    page.get_by_role("heading", name="Project").wait_for(timeout=60_000)
    page.get_by_text(str(sample_copy), exact=False).first.wait_for(timeout=30_000)
    second = context.new_page()  # a second tab of the same browser, on an address without the token
    second.goto(f"{app_server}/code?transcript=kz03", wait_until="domcontentloaded")
    second.get_by_role("heading", name="Code").first.wait_for(timeout=60_000)
    context.close()


def test_a_foreign_host_name_is_refused_even_with_the_token(browser, chromium_path, app_server) -> None:
    """DNS rebinding: evil.example resolves to 127.0.0.1 in this browser, as an attacker's DNS would
    make it; the page then sends Host: evil.example, and the gate refuses it."""
    port = app_server.rsplit(":", 1)[1]
    # A second Chromium from the same Playwright (a second sync_playwright() may not nest).
    rebinding = browser.browser_type.launch(executable_path=chromium_path, headless=True,
                                            args=[*FLAGS, "--host-resolver-rules=MAP evil.example 127.0.0.1"])
    try:
        page = rebinding.new_page()
        response = page.goto(f"http://evil.example:{port}/?token={app_server.token}", wait_until="domcontentloaded")
        assert response.status == 403
        text = refusal(page)
        assert "[E978]" in text and "evil.example" in text
        assert "Transcripts" not in page.inner_text("body")
        assert page.context.cookies() == []  # no cookie handed to the foreign origin
    finally:
        rebinding.close()


def test_a_path_outside_the_folders_is_refused_in_the_browser(browser, app_server, tmp_path_factory) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "secret.yaml"
    elsewhere.write_text("codes: []\napi_key: s3cr3t-value\n", encoding="utf-8")
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(app_server.at("/codebook"), wait_until="domcontentloaded")
    page.get_by_role("heading", name="Codebook").wait_for(timeout=60_000)
    page.get_by_role("tab", name="Rules").click()
    for typed in (str(elsewhere), "/etc/passwd"):
        box = page.get_by_role("textbox", name="…or the path of your own codebook (YAML)")
        box.fill(typed)
        box.press("Enter")
        page.get_by_text(f"[E970] '{typed}' is outside", exact=False).first.wait_for(timeout=30_000)
        body = page.inner_text("body")
        assert typed in body and "s3cr3t" not in body and "root:x:" not in body
    assert errors == []
    page.close()


def test_streamlit_run_app_py_refuses_a_foreign_host_too(browser, chromium_path, sample_copy, tmp_path) -> None:
    """Without `qualcode serve` there is no gate and no token, but the page script still checks the
    Host its WebSocket was opened with (qualcode/ui/shell.py), so a rebound name shows nothing."""
    import os
    import subprocess
    import sys
    import time

    from tests.e2e.conftest import ROOT, _free_port

    port = _free_port()
    log = (tmp_path / "streamlit.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.port", str(port)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "QUALCODE_PROJECT": str(sample_copy)})
    rebinding = browser.browser_type.launch(executable_path=chromium_path, headless=True,
                                            args=[*FLAGS, "--host-resolver-rules=MAP evil.example 127.0.0.1"])
    try:
        deadline = time.monotonic() + 60
        while "URL:" not in (tmp_path / "streamlit.log").read_text() and time.monotonic() < deadline:
            time.sleep(0.3)
        page = rebinding.new_page()
        page.goto(f"http://evil.example:{port}/", wait_until="domcontentloaded")
        page.get_by_text("[E978]", exact=False).first.wait_for(timeout=60_000)
        body = page.inner_text("body")
        assert "evil.example" in body and "Transcripts" not in body and "kz01" not in body
        local = browser.new_page()  # the same server on 127.0.0.1 still opens the project
        local.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded")
        local.get_by_role("heading", name="Transcripts").wait_for(timeout=60_000)
        local.close()
    finally:
        rebinding.close()
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
