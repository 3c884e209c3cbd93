"""Compare the codings of two versions of qualcode on the same transcripts and codebook.

Run the old code (a `git worktree` of an earlier commit) and the new code with the same
pinned codebook, dump each side's rule codings, then compare:

    git worktree add /tmp/old <commit>
    cp codebooks/migration.yaml /tmp/pinned.yaml
    PYTHONPATH=/tmp/old .venv/bin/python benchmarks/codings_diff.py dump /tmp/old.json --codebook /tmp/pinned.yaml
    .venv/bin/python benchmarks/codings_diff.py dump /tmp/new.json --codebook /tmp/pinned.yaml
    .venv/bin/python benchmarks/codings_diff.py compare /tmp/old.json /tmp/new.json [--show 40]

The corpora: the sample interviews (interviews/) and every gold set (tests/data/gold*) but the
held-out gold3, which is never read.
A coding is (transcript, code, start, end); the share of the old side's codings that the new
side also has is the agreement figure, per corpus. Each difference is printed with its text,
so it can be explained.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def corpora() -> dict[str, list[Path]]:
    kinds = {".txt", ".docx", ".md", ".vtt", ".odt", ".srt"}
    out = {"interviews": sorted(p for p in (ROOT / "interviews").iterdir()
                                if p.suffix in kinds and p.name != "README.md")}
    for gold in sorted((ROOT / "tests" / "data").glob("gold*")):
        if gold.name == "gold3":  # the held-out yardstick: never read while developing
            continue
        out[gold.name] = sorted(gold.glob("*.txt"))
    return out


def dump(out: Path, codebook: Path) -> None:
    import qualcode
    from qualcode import Project

    result: dict[str, dict] = {"qualcode": str(Path(qualcode.__file__).parent), "corpora": {}}
    for name, files in corpora().items():
        with tempfile.TemporaryDirectory() as tmp:
            project = Project.create(Path(tmp) / "p.qcdb")
            report = project.import_files(files)
            assert report.ok, [r.message for r in report.failed]
            project.autocode(codebook)
            texts = {t: project.transcript_text(t) for t in project.transcripts()["transcript"]}
            codings = project.codings(origin="rule")
            rows = sorted({(r.transcript, r.code, int(r.start), int(r.end), r.rule or "")
                           for r in codings.itertuples()})
            project.close()
        result["corpora"][name] = {"codings": rows, "texts": texts}
        print(f"{name}: {len(files)} files, {len(rows)} rule codings", file=sys.stderr)
    out.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")


def compare(old_path: Path, new_path: Path, show: int) -> None:
    old = json.loads(old_path.read_text(encoding="utf-8"))
    new = json.loads(new_path.read_text(encoding="utf-8"))
    print(f"old: {old['qualcode']}\nnew: {new['qualcode']}\n")
    print("| corpus | old codings | new codings | kept | only old | only new | kept % of old |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    diffs = []
    for name, o in old["corpora"].items():
        n = new["corpora"].get(name, {"codings": []})
        ok = {tuple(c[:4]) for c in o["codings"]}
        nk = {tuple(c[:4]) for c in n["codings"]}
        kept = ok & nk
        print(f"| {name} | {len(ok)} | {len(nk)} | {len(kept)} | {len(ok - nk)} | {len(nk - ok)} | "
              f"{100 * len(kept) / max(1, len(ok)):.2f} |")
        texts = o["texts"]
        for side, keys in (("only old", ok - nk), ("only new", nk - ok)):
            for t, code, s, e in sorted(keys):
                diffs.append((name, side, t, code, s, e, texts[t][s:e]))
    for name, side, t, code, s, e, text in diffs[:show]:
        print(f"\n[{name}] {side}: {t} {code} {s}-{e}\n    {' '.join(text.split())[:300]!r}")
    if len(diffs) > show:
        print(f"\n... {len(diffs) - show} more differences (--show N)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("out", type=Path)
    d.add_argument("--codebook", type=Path, default=ROOT / "codebooks" / "migration.yaml")
    c = sub.add_parser("compare")
    c.add_argument("old", type=Path)
    c.add_argument("new", type=Path)
    c.add_argument("--show", type=int, default=40)
    args = parser.parse_args()
    if args.cmd == "dump":
        dump(args.out, args.codebook)
    else:
        compare(args.old, args.new, args.show)


if __name__ == "__main__":
    main()
