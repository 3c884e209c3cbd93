"""User text is text (issue 18, point 7), in a real Chromium: Markdown planted in the project name,
speaker names, the case id, an attribute's name and value, a code's name and description, a
coder's name and a memo (an outside image, a javascript: link, a colour directive and LaTeX)
is shown as the characters typed, on every page, and the planted image's address (a local
beacon) never receives a request."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

from qualcode import Project

pytestmark = pytest.mark.e2e

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


class Beacon:
    """A local server standing in for a tracking pixel's host: it records every request."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        beacon = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                beacon.hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(PNG)))
                self.end_headers()
                self.wfile.write(PNG)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def payload(self, tag: str) -> str:
        return (f"![x](http://127.0.0.1:{self.port}/beacon.png?{tag}) [a{tag}](javascript:alert(1)) "
                f":red[x{tag}] $x^{tag}$")


@pytest.fixture
def beacon() -> Iterator[Beacon]:
    b = Beacon()
    yield b
    b.server.shutdown()


@pytest.fixture
def hostile(tmp_path: Path, beacon: Beacon) -> Path:
    """A project whose every user-written string carries the payload, each tagged with its place."""
    md = tmp_path / "hostile.md"
    md.write_text(f"---\ncase: '{beacon.payload('case')}'\ngender: '{beacon.payload('attribute')}'\n"
                  f"'{beacon.payload('attrname')}': 'yes'\n---\n\n"
                  "Interviewer: Why did you move?\n\nRespondent: There was no work at home.\n", encoding="utf-8")
    turns = tmp_path / "speakers.csv"
    pd.DataFrame({"interview": ["speakers", "speakers"], "speaker": [beacon.payload("speaker"), "Interviewer"],
                  "text": ["There was no work at home.", "Why did you move?"]}).to_csv(turns, index=False)
    path = tmp_path / "hostile.qcdb"
    with Project.create(path, name=beacon.payload("project")) as project:
        report = project.import_files([md, turns])
        assert report.ok, [r.message for r in report.failed]
        project.add_code("hostile", name=beacon.payload("code"), description=beacon.payload("description"))
        for name in ("hostile", "speakers"):
            start = project.transcript_text(name).index("no work")
            project.add_coding(name, "hostile", start, start + 7, coder=beacon.payload("coder"),
                               memo=beacon.payload("memo"))
    return path


def settle(page, heading: str) -> None:
    """The page has drawn, and none of the planted Markdown became a link or LaTeX."""
    page.get_by_role("heading", name=heading).first.wait_for(timeout=60_000)
    page.get_by_test_id("stStatusWidget").wait_for(state="hidden", timeout=60_000)  # the script run is over
    assert page.locator("a[href^='javascript']").count() == 0, heading
    assert page.locator(".katex").count() == 0, heading


def test_planted_markdown_is_shown_as_text_and_fetches_nothing(browser, beacon: Beacon, hostile: Path,
                                                               serve_app, tmp_path: Path) -> None:
    # The beacon works: a page that does show the image makes it record a request.
    control = browser.new_page()
    control.set_content(f'<img src="http://127.0.0.1:{beacon.port}/beacon.png?control">')
    control.wait_for_load_state("load")
    control.close()
    assert beacon.hits == ["/beacon.png?control"]
    beacon.hits.clear()

    errors: list[str] = []
    with serve_app(hostile, tmp_path / "serve.log") as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(url.at("/project"), wait_until="domcontentloaded")
        settle(page, "Project")
        assert beacon.payload("project") in page.inner_text("body")  # the name as typed, in the sidebar too
        for path, heading in [("/", "Transcripts"), ("/code?transcript=hostile", "Code"),
                              ("/code?transcript=speakers", "Code"), ("/autocode", "Auto-code"),
                              ("/analyze", "Analyze"), ("/typology", "Typology"), ("/agreement", "Agreement"),
                              ("/export", "Export"), ("/codebook", "Codebook"), ("/review", "Review"),
                              ("/retrieve", "Retrieve")]:
            page.goto(f"{url}{path}", wait_until="domcontentloaded")
            settle(page, heading)
        # What only shows after a choice: the other transcript's speakers, the cross-tab, the filters.
        page.goto(f"{url}/", wait_until="domcontentloaded")
        settle(page, "Transcripts")
        box = page.get_by_role("combobox", name="Show transcript")
        box.click()
        page.get_by_role("option", name="speakers").click()
        page.get_by_text(beacon.payload("speaker"), exact=False).first.wait_for(timeout=30_000)
        page.goto(f"{url}/analyze", wait_until="domcontentloaded")
        settle(page, "Analyze")
        page.get_by_role("tab", name="Cross-tab by attribute").click()
        page.goto(f"{url}/retrieve", wait_until="domcontentloaded")
        settle(page, "Retrieve")
        for label, value in (("Codes (a parent code takes its sub-codes)", "hostile"),
                             ("Filter by case attributes", "gender")):
            box = page.get_by_role("combobox", name=label)
            box.click()
            page.get_by_role("option", name=re.compile(rf"(^|\s){re.escape(value)}$")).click()
            page.keyboard.press("Escape")
        page.get_by_text(" · turn ", exact=False).first.wait_for(timeout=30_000)
        assert beacon.payload("case") in page.inner_text("body")
        settle(page, "Retrieve")
        page.close()
    assert beacon.hits == []
    assert errors == []
