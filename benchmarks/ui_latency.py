"""Latency of the coding workbench in Chromium, beside a one-button Streamlit app as the floor.

    .venv/bin/python benchmarks/ui_latency.py [--trials 5] [--sizes 20000:300 100000:1500]

Generates a project (in a temporary folder) with one Russian transcript per size, e.g.
20,000 words with 300 codings and 100,000 words with 1,500 (4 of 5 accepted by hand, 1 of 5
rule suggestions; spans of 3 to 40 words, so some overlap), serves it with `streamlit run
app.py`, and measures with Playwright in Debian's Chromium:

- cold load: a new browser session opens /code?transcript=NAME until highlighted text shows
  (the first load after the server started is reported apart: it imports everything);
- local: Enter in the code palette (a real key press) until the highlight is in the DOM and
  the next frame has been drawn, timed inside the page;
- confirmed: the same key press until Python's rerun has stored the coding and the
  component has drawn it as confirmed (no pending mark left), timed inside the page.

The floor is a trivial app (one button and a counter) served the same way: cold load until
the button shows, and click until the rerun's new counter is drawn. Targets at 20k words:
local < 50 ms, confirmed < 200 ms, cold load < 2.5 s.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qualcode import Project  # noqa: E402
from qualcode.codebook import load as load_codebook  # noqa: E402
from qualcode.store import coding_queries, queries  # noqa: E402

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
FLOOR_APP = '''import streamlit as st

st.session_state.setdefault("clicks", 0)
if st.button("Click", key="floor_button"):
    st.session_state["clicks"] += 1
st.markdown(f"clicks: {st.session_state['clicks']}")
'''
ROOT_SEL = "[data-testid='qc-transcript']"

# Times one real key press inside the page: t0 at the Enter keydown (capture phase, before
# the palette's handler), "local" when a pending highlight is in the DOM plus one frame,
# "confirmed" when Python's rerun has acknowledged it (no pending left) plus one frame.
WATCH_CODING = """() => {
  const root = document.querySelector("[data-testid='qc-transcript']");
  const t = window.__qcBench = {};
  const frame = (key) => requestAnimationFrame(() => setTimeout(() => { t[key] = performance.now(); }, 0));
  document.addEventListener("keydown", (e) => { if (e.key === "Enter") t.t0 = performance.now(); },
                            { capture: true, once: true });
  const watch = new MutationObserver(() => {
    if (t.t0 === undefined) return;
    if (t.sawLocal === undefined && root.querySelector("mark[data-pending]")) { t.sawLocal = 1; frame("local"); }
    if (t.sawLocal && t.sawDone === undefined && root.getAttribute("data-pending") === "0"
        && !root.querySelector("mark[data-pending]")) { t.sawDone = 1; frame("confirmed"); watch.disconnect(); }
  });
  watch.observe(root, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-pending"] });
}"""
WATCH_CLICK = """(expected) => {
  const t = window.__qcBench = {};
  document.addEventListener("click", () => { t.t0 = performance.now(); }, { capture: true, once: true });
  const watch = new MutationObserver(() => {
    if (t.t0 !== undefined && document.body.innerText.includes(expected)) {
      watch.disconnect();
      requestAnimationFrame(() => setTimeout(() => { t.confirmed = performance.now(); }, 0));
    }
  });
  watch.observe(document.body, { subtree: true, childList: true, characterData: true });
}"""
# Select characters 5..45 of the first long text of turn `i` (a press, a DOM Range, and the
# release the component listens to), so each trial codes a fresh span.
SELECT_IN_TURN = """(i) => {
  const turn = document.querySelectorAll("[data-testid='qc-transcript'] .qc-turn")[i];
  const walker = document.createTreeWalker(turn.querySelector(".qc-text"), NodeFilter.SHOW_TEXT);
  let node = walker.nextNode();
  while (node && node.data.length < 60) node = walker.nextNode();
  node.parentElement.scrollIntoView({ block: "center" });
  node.parentElement.dispatchEvent(new MouseEvent("mousedown", { bubbles: true, button: 0 }));
  const range = document.createRange();
  range.setStart(node, 5);
  range.setEnd(node, 45);
  const sel = window.getSelection();
  sel.removeAllRanges();
  sel.addRange(range);
  node.parentElement.dispatchEvent(new MouseEvent("mouseup", { bubbles: true, button: 0 }));
}"""


def sentences() -> list[str]:
    """Russian sentences of the bundled (synthetic) interviews, to build long transcripts from."""
    out: list[str] = []
    for path in sorted((ROOT / "interviews").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        if not re.search("[а-яё]", text):
            continue
        for line in text.splitlines():
            body = line.split(":", 1)[1] if ":" in line[:20] else line
            out += [s.strip() for s in re.split(r"(?<=[.!?…])\s+", body) if len(s.split()) >= 4]
    return out


def build_project(path: Path, sizes: list[tuple[int, int]], seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    pool = sentences()
    folder = path.parent / "transcripts"
    folder.mkdir()
    names = []
    for words, _ in sizes:
        name = f"bench{words // 1000}k"
        lines, count, turn = [], 0, 0
        while count < words:
            interviewer = turn % 2 == 0
            body: list[str] = []
            while len(" ".join(body).split()) < (15 if interviewer else 120):
                body.append(rng.choice(pool))
            if not interviewer and turn % 7 == 1:
                body.insert(1, "🙂")  # emoji: offsets must still be right
            text = " ".join(body)
            count += len(text.split())
            minutes, seconds = divmod(turn * 37, 60)
            lines.append(f"[{minutes // 60:02d}:{minutes % 60:02d}:{seconds:02d}] "
                         f"{'Интервьюер' if interviewer else 'Респондент'}: {text}\n")
            turn += 1
        (folder / f"{name}.txt").write_text("\n".join(lines), encoding="utf-8")
        names.append(name)
    with Project.create(path) as project:
        report = project.import_files(sorted(folder.iterdir()))
        assert report.ok, [r.message for r in report.failed]
        with project.engine.begin() as conn:
            ids = coding_queries.sync_codes(conn, load_codebook(ROOT / "codebooks" / "migration.yaml"))
            coder = coding_queries.ensure_coder(conn, "bench")
            codes = [i for path_, i in ids.items() if "." in path_]
            stamp = queries.now()
            for name, (_, n_codings) in zip(names, sizes, strict=True):
                tid = queries.current_version(conn, name)[0]
                text = queries.transcript_row(conn, name).text
                spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
                rows = []
                for k in range(n_codings):
                    first = rng.randrange(0, len(spans) - 41)
                    last = first + rng.randint(2, 39)
                    suggested = k % 5 == 4
                    rows.append(dict(transcript_id=tid, code_id=rng.choice(codes), start_offset=spans[first][0],
                                     end_offset=spans[last][1], coder_id=None if suggested else coder,
                                     origin="rule" if suggested else "manual",
                                     rule_id="bench/ru/1" if suggested else None,
                                     status="suggested" if suggested else "accepted", created_at=stamp,
                                     updated_at=stamp))
                coding_queries.insert_codings(conn, rows)
    return names


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(script: Path, env: dict[str, str], log: Path):
    port = free_port()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
             "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                        break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"streamlit did not start: {log.read_text()}") from None
                    time.sleep(0.3)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def timed_goto(browser, url: str, ready: str) -> tuple[float, object]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.locator(ready).first.wait_for(timeout=120_000)
    return (time.perf_counter() - start) * 1000, page


def bench_workbench(browser, url: str, name: str, trials: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"cold": [], "local": [], "confirmed": []}
    ready = f"{ROOT_SEL} mark"
    first, page = timed_goto(browser, f"{url}/code?transcript={name}", ready)
    out["first"] = [first]
    page.context.close()
    for _ in range(trials):
        ms, page = timed_goto(browser, f"{url}/code?transcript={name}", ready)
        out["cold"].append(ms)
        page.context.close()
    _, page = timed_goto(browser, f"{url}/code?transcript={name}", ready)
    box = page.get_by_role("textbox", name="Coder")
    box.fill("bench")
    box.press("Enter")
    page.locator(f"{ROOT_SEL}[data-coder='bench']").wait_for(timeout=60_000)
    turns = page.locator(f"{ROOT_SEL} .qc-turn").count()
    for k in range(trials):
        page.evaluate(SELECT_IN_TURN, 2 * (k * (turns // (2 * trials + 1)) // 2) + 1)  # respondent turns
        page.locator(".qc-palette-input").wait_for()
        page.keyboard.type("push.housing")
        page.evaluate(WATCH_CODING)
        page.keyboard.press("Enter")
        page.wait_for_function("() => window.__qcBench.confirmed !== undefined", timeout=60_000)
        t = page.evaluate("() => window.__qcBench")
        out["local"].append(t["local"] - t["t0"])
        out["confirmed"].append(t["confirmed"] - t["t0"])
    page.context.close()
    return out


def bench_floor(browser, url: str, trials: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"cold": [], "confirmed": []}
    first, page = timed_goto(browser, url, "button")
    out["first"] = [first]
    page.context.close()
    for _ in range(trials):
        ms, page = timed_goto(browser, url, "button")
        out["cold"].append(ms)
        page.context.close()
    _, page = timed_goto(browser, url, "button")
    for k in range(trials):
        page.evaluate(WATCH_CLICK, f"clicks: {k + 1}")
        page.get_by_role("button", name="Click").click()
        page.wait_for_function("() => window.__qcBench.confirmed !== undefined", timeout=60_000)
        t = page.evaluate("() => window.__qcBench")
        out["confirmed"].append(t["confirmed"] - t["t0"])
    page.context.close()
    return out


def cell(values: list[float] | None) -> str:
    if not values:
        return "—"
    if len(values) == 1:
        return f"{values[0]:,.0f}"
    return f"{statistics.median(values):,.0f} (max {max(values):,.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--sizes", nargs="+", default=["20000:300", "100000:1500"],
                        help="WORDS:CODINGS per generated transcript")
    parser.add_argument("--chromium", default=os.environ.get("QUALCODE_CHROMIUM", "/usr/bin/chromium"))
    args = parser.parse_args()
    sizes = [tuple(int(x) for x in s.split(":")) for s in args.sizes]

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        start = time.perf_counter()
        names = build_project(tmp / "bench.qcdb", sizes)
        made = ", ".join(f"{n} ({w:,} words, {c:,} codings)" for n, (w, c) in zip(names, sizes, strict=True))
        print(f"Generated {made} in {time.perf_counter() - start:.1f} s", file=sys.stderr)
        (tmp / "floor.py").write_text(FLOOR_APP, encoding="utf-8")
        results = {}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=args.chromium, args=FLAGS, headless=True)
            with server(tmp / "floor.py", {}, tmp / "floor.log") as url:
                results["floor: one-button app"] = bench_floor(browser, url, args.trials)
            with server(ROOT / "app.py", {"QUALCODE_PROJECT": str(tmp / "bench.qcdb")}, tmp / "app.log") as url:
                for name, (words, n_codings) in zip(names, sizes, strict=True):
                    label = f"workbench: {words:,} words, {n_codings:,} codings"
                    results[label] = bench_workbench(browser, url, name, args.trials)
            browser.close()

    print(f"\nmilliseconds, median of {args.trials} (max); Chromium headless, server on 127.0.0.1\n")
    print("| what | first load | cold load | local highlight | confirmed by the server |")
    print("|---|---:|---:|---:|---:|")
    for label, r in results.items():
        print(f"| {label} | {cell(r.get('first'))} | {cell(r.get('cold'))} | {cell(r.get('local'))} "
              f"| {cell(r.get('confirmed'))} |")
    floor = results["floor: one-button app"]
    print("\nRatios to the floor (medians): " + "; ".join(
        f"{label.split(': ', 1)[1]}: cold load ×{statistics.median(r['cold']) / statistics.median(floor['cold']):.1f}"
        f", confirmed ×{statistics.median(r['confirmed']) / statistics.median(floor['confirmed']):.1f}"
        for label, r in results.items() if label.startswith("workbench")))


if __name__ == "__main__":
    main()
