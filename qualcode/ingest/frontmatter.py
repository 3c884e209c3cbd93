"""YAML front matter: a `---` block at the top of a .txt or .md transcript with case data.

Keys with a meaning of their own (`case`, `language`, `title`, `interviewer`,
`speakers`) steer the import; every other key is a case attribute.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from qualcode import safe_yaml
from qualcode.errors import ImportFileError
from qualcode.ingest.speakers import validate_speaker_map

FRONT = re.compile(r"\A---[ \t]*\n(?P<body>.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
CASE_KEYS = ("case", "case_id", "respondent", "participant")
RESERVED = {"case", "case_id", "language", "lang", "title", "name", "interviewer", "interviewers",
            "speakers", "speaker_map", "respondent", "participant"}
# More keys than any interview has attributes: 10,000 keys are a generated file or an attack,
# and each would become a column of every case table (`--max-attributes` raises it).
MAX_ATTRIBUTES = 200


@dataclass
class FrontMatter:
    case: str | None = None
    language: str | None = None
    title: str | None = None
    attributes: dict[str, object] = field(default_factory=dict)
    speaker_roles: dict[str, str] = field(default_factory=dict)
    end: int = 0  # where the transcript proper starts in the text


def split_front_matter(text: str, file: str, max_attributes: int = MAX_ATTRIBUTES) -> FrontMatter:
    m = FRONT.match(text)
    if not m:
        return FrontMatter()
    body = m.group("body") or ""
    try:
        data = safe_yaml.safe_load(body) or {}
    except safe_yaml.Refused as exc:  # aliases, deep nesting: refused before anything is built
        raise ImportFileError(exc.code, file=file, line=exc.line + 1, kind="front matter", **exc.fields) from None
    except RecursionError:  # a belt to the braces of the depth limit
        raise ImportFileError("E953", file=file, line=2, limit=safe_yaml.MAX_DEPTH, kind="front matter") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = (mark.line + 2) if mark is not None else 2  # +1 for 1-based, +1 for the opening ---
        reason = getattr(exc, "problem", None) or str(exc)
        raise ImportFileError("E212", file=file, line=line, reason=reason) from exc
    if not isinstance(data, dict):
        raise ImportFileError("E213", file=file, line=2, found=type(data).__name__)
    fm = FrontMatter(end=m.end())
    for key in CASE_KEYS:
        if data.get(key) not in (None, ""):
            fm.case = str(data[key])
            break
    lang = data.get("language", data.get("lang"))
    fm.language = str(lang).strip().lower() if lang else None
    fm.title = str(data["title"]) if data.get("title") else None
    for key in ("interviewer", "interviewers"):
        names = data.get(key)
        for name in names if isinstance(names, list) else [names] if names else []:
            fm.speaker_roles[str(name)] = "interviewer"
    speakers = data.get("speakers") or data.get("speaker_map")
    if isinstance(speakers, dict):
        fm.speaker_roles.update(validate_speaker_map(speakers, f"{file} (front matter 'speakers')"))
    fm.attributes = {str(k): v for k, v in data.items() if str(k).lower() not in RESERVED}
    if len(fm.attributes) > max_attributes:
        raise ImportFileError("E955", file=file, n=len(fm.attributes), limit=max_attributes)
    return fm
