"""Writes candidates that test a turn-level `unless` on every push rule (issue 12, fourth pass).

Each push rule of en and ru becomes a candidate that replaces it, the same rule with a simulated
turn context: dropped where its turn says "here" / "north" (здесь, тут, на север). Then:

    .venv/bin/python benchmarks/rule_candidates/push_turn_unless.py > /tmp/push_turn_unless.json
    .venv/bin/python benchmarks/rule_crossval.py --sets gold,gold2,gold4,gold5,gold6,gold7,gold8 \\
        --candidates /tmp/push_turn_unless.json

(JSON is YAML; the codebook's anchors and aliases are written out in full.)
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
CONTEXT = {"en": ["here", "in the north", "north"], "ru": ["здесь", "тут", "на север"]}


def main() -> None:
    doc = yaml.safe_load((ROOT / "codebooks" / "migration.yaml").read_text(encoding="utf-8"))
    out = []
    for code in doc["codes"]:
        if not code["id"].startswith("push."):
            continue
        for lang, rules in (code.get("rules") or {}).items():
            for i, rule in enumerate(rules if lang in CONTEXT else [], 1):
                rule_id = rule.get("id", f"{code['id']}/{lang}/{i}")
                body = {k: v for k, v in rule.items() if k not in ("id", "note")}
                out.append({"name": "ctx_" + rule_id.replace("/", "_"), "code": code["id"], "lang": lang,
                            "replaces": [rule_id], "rule": {**body, "context": {"unless": CONTEXT[lang]}}})
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
