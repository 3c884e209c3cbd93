"""The app in a real Chromium: the page a sociologist sees when opening the sample project."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e


def test_app_lists_sample_transcripts_in_chromium(browser, app_server: str, tmp_path) -> None:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(app_server.at(), wait_until="domcontentloaded")
    page.get_by_role("heading", name="Transcripts").wait_for(timeout=60_000)
    page.get_by_text("24 transcripts", exact=False).wait_for(timeout=30_000)
    # The default transcript (kz01) is rendered turn by turn with speakers and roles.
    page.get_by_text("Interviewer", exact=False).first.wait_for(timeout=30_000)
    # The turns come in as the page renders: wait for the respondent's words before reading the page.
    page.get_by_text("Shymkent", exact=False).first.wait_for(timeout=30_000)
    body = page.inner_text("body")
    assert "respondent" in body and "interviewer" in body
    assert "Shymkent" in body  # kz01's respondent talks about her home city
    page.screenshot(path=str(tmp_path / "transcripts.png"), full_page=True)
    assert errors == []
    page.close()


def test_auto_code_and_typology_in_chromium(browser, app_server: str, tmp_path) -> None:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(app_server.at("/autocode"), wait_until="domcontentloaded")
    page.get_by_role("heading", name="Auto-code").wait_for(timeout=60_000)
    page.get_by_text("No rule codings yet", exact=False).wait_for(timeout=30_000)
    page.get_by_role("button", name="Code the project").click()
    page.get_by_text("Run 1 made", exact=False).wait_for(timeout=60_000)
    page.get_by_text("codings in", exact=False).first.wait_for(timeout=30_000)
    page.screenshot(path=str(tmp_path / "autocode.png"), full_page=True)
    page.goto(f"{app_server}/typology", wait_until="domcontentloaded")
    page.get_by_role("heading", name="Typology").wait_for(timeout=60_000)
    page.get_by_text("rule_type: 18 of 24 cases have the same value", exact=False).wait_for(timeout=60_000)
    body = page.inner_text("body")
    assert "development" in body and "survival" in body and "mixed" in body
    page.get_by_text("Adjusted Rand index, clusters vs rule types", exact=False).wait_for(timeout=60_000)
    page.get_by_role("heading", name="Charts").scroll_into_view_if_needed()
    # Vega draws the cluster map: a canvas or SVG inside the chart element.
    page.locator("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg").first.wait_for(
        timeout=60_000)
    page.screenshot(path=str(tmp_path / "typology.png"), full_page=True)
    page.goto(f"{app_server}/analyze", wait_until="domcontentloaded")
    page.get_by_role("heading", name="Analyze").wait_for(timeout=60_000)
    page.get_by_role("tab", name="Cross-tab by attribute").click()
    page.get_by_text("Fisher's exact test", exact=False).first.wait_for(timeout=60_000)
    # The grid draws on a canvas; its column headers are in the DOM for screen readers.
    page.locator("th", has_text="% of female").first.wait_for(state="attached", timeout=30_000)
    page.get_by_text("One code's table").wait_for(timeout=30_000)
    assert errors == []
    page.close()


def test_retrieve_pull_state_program_said_by_women_in_chromium(browser, app_server: str, sample_copy,
                                                               tmp_path) -> None:
    from qualcode.codebook import load as load_codebook
    from qualcode.project import Project

    root = __import__("pathlib").Path(__file__).resolve().parents[2]
    with Project.open(sample_copy) as p:
        p.autocode(load_codebook(root / "codebooks" / "migration.yaml"))
        codings, cases = p.codings(), p.cases()
    women = set(cases.loc[cases["gender"] == "female", "case"])
    expected = codings[(codings["code"] == "pull.state_program") & codings["case"].isin(women)
                       & (codings["status"] != "rejected")]
    assert len(expected) > 0

    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(app_server.at("/retrieve"), wait_until="domcontentloaded")
    page.get_by_role("heading", name="Retrieve").wait_for(timeout=60_000)

    def choose(label: str, value: str) -> None:
        box = page.get_by_role("combobox", name=label)
        box.click()
        box.fill(value)
        # Options may carry a tree indent ("· pull.state_program"): match the value at the end.
        page.get_by_role("option", name=re.compile(rf"(^|\s){re.escape(value)}$")).click()
        page.keyboard.press("Escape")

    choose("Codes (a parent code takes its sub-codes)", "pull.state_program")
    metric = page.get_by_test_id("stMetric").filter(has_text="Segments")
    everyone = codings[(codings["code"] == "pull.state_program") & (codings["status"] != "rejected")]
    assert len(everyone) > len(expected)
    metric.get_by_text(str(len(everyone)), exact=True).wait_for(timeout=60_000)
    page.get_by_text(" · turn ", exact=False).first.wait_for(timeout=30_000)  # men's cards are on the page
    # From here on, record the cards on the page each time the Segments counter changes, in the
    # same task as the change (a MutationObserver runs before the browser paints): the women-only
    # counter must never stand above men's cards, not even for a moment.
    page.evaluate("""() => {
        window.__counters = [];
        let last = null;
        const read = () => {
            const metric = [...document.querySelectorAll('[data-testid="stMetric"]')]
                .find(e => e.innerText.includes('Segments'));
            const value = metric ? metric.innerText : null;
            if (value !== last) {
                last = value;
                window.__counters.push({metric: value, body: document.body.innerText});
            }
        };
        new MutationObserver(read).observe(document.body, {subtree: true, childList: true, characterData: true});
    }""")
    choose("Filter by case attributes", "gender")
    choose("gender (empty: any)", "female")
    metric.get_by_text(str(len(expected)), exact=True).wait_for(timeout=60_000)
    seen = page.evaluate("window.__counters")
    men = set(cases["case"]) - women
    at_change = [s for s in seen if s["metric"] and s["metric"].split()[-1] == str(len(expected))]
    assert at_change, [s["metric"] for s in seen]
    history = [(s["metric"], sorted(c for c in men if f"{c} · " in s["body"])) for s in seen]
    for snapshot in at_change:
        assert [case for case in men if f"{case} · " in snapshot["body"]] == [], history
    page.get_by_test_id("stMetric").filter(has_text="Cases").get_by_text(
        str(expected["case"].nunique()), exact=True).wait_for(timeout=30_000)
    body = page.inner_text("body")
    assert "Open in the workbench" in body
    page.get_by_text(" · turn ", exact=False).first.wait_for(timeout=30_000)  # the segment cards are drawn
    body = page.inner_text("body")
    men_shown = [case for case in set(cases["case"]) - women if f"{case} · " in body]
    assert men_shown == []
    assert any(f"{case} · " in body for case in women)
    page.screenshot(path=str(tmp_path / "retrieve.png"), full_page=True)
    assert errors == []
    page.close()


def test_qualcode_serve_opens_a_project_on_localhost(browser, sample_copy, tmp_path) -> None:
    import os
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = (tmp_path / "serve.log").open("w")
    env = {k: v for k, v in os.environ.items() if k != "QUALCODE_TOKEN"}  # a fresh random token
    proc = subprocess.Popen([sys.executable, "-m", "qualcode", "serve", str(sample_copy), "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT, env={**env, "QUALCODE_PROJECT": ""})
    try:
        deadline = time.monotonic() + 60
        printed = None
        while time.monotonic() < deadline and proc.poll() is None and printed is None:
            printed = re.search(r"http://127\.0\.0\.1:\d+/\?token=[\w-]{20,}", (tmp_path / "serve.log").read_text())
            time.sleep(0.3)
        assert proc.poll() is None and printed, (tmp_path / "serve.log").read_text()
        page = browser.new_page()
        page.goto(printed.group(0), wait_until="domcontentloaded")
        assert "token=" not in page.url  # the gate traded it for a cookie
        page.get_by_text(str(sample_copy), exact=False).first.wait_for(timeout=60_000)  # the project named
        page.get_by_role("heading", name="Transcripts").wait_for(timeout=60_000)
        page.close()
        # Bound to this machine only: nothing listens on the other addresses.
        other = socket.gethostbyname(socket.gethostname())
        if other != "127.0.0.1" and not other.startswith("127."):
            with socket.socket() as s, pytest.raises(OSError):
                s.settimeout(2)
                s.connect((other, port))
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
