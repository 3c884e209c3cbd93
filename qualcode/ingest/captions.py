"""Caption files: WebVTT (.vtt) and SubRip (.srt), as exported by Zoom, Teams and transcription tools.

Captions cut speech into cues of a few seconds. Consecutive cues of one speaker
are joined into one turn. The speaker comes from a WebVTT voice tag
(`<v Name>`, `<v.loud Name>`) or from a `NAME:` label opening the cue; a cue
with no speaker continues the previous speaker's turn.
"""

from __future__ import annotations

import re

from qualcode.ingest.speakers import known_role, label_key, plausible_name
from qualcode.ingest.turns import Block, merge_blocks

_TIME = r"(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3}"
TIMING = re.compile(rf"^\s*(?P<start>{_TIME})\s*-->\s*(?P<end>{_TIME})")
VOICE = re.compile(r"<v(?:\.[\w.\-]+)*[ \t]+(?P<name>[^>]+)>")
TAG = re.compile(r"</?[^>]*>")
CUE_LABEL = re.compile(r"^(?:-\s*)?(?P<label>[^\W\d_][\w.'’\- ]{0,39}?)\s*:\s+(?P<rest>.*)$", re.S)


def _seconds(value: str) -> float:
    parts = value.replace(",", ".").split(":")
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + float(part)
    return seconds


def _cue_name(n: int, timing: str, body: str) -> str:
    words = " ".join(TAG.sub("", body).split())
    return f"cue {n} ('{timing.strip()}', \"{words[:40]}{'…' if len(words) > 40 else ''}\")"


def _cues(text: str, warnings: list[str] | None = None
          ) -> list[tuple[float | None, float | None, str]]:
    """(start, end, raw text) of each cue; headers, NOTE, STYLE and REGION blocks are skipped.

    A cue whose timing line is broken (a negative time, a missing part, an end before the
    start) is kept, with the times it lacks as None and a warning naming it: a caption
    file's timings are often edited by hand, and its words are the interview."""
    cues: list[tuple[float | None, float | None, str]] = []
    for block in re.split(r"\n\s*\n", text):
        lines = [ln for ln in block.strip("\n").split("\n")]
        if not any("-->" in ln for ln in lines):
            # No timing line at all: a header, a NOTE/STYLE/REGION block, or a cue whose
            # timing was deleted; the last is speech and is kept, with a warning.
            words = [ln for ln in lines if ln.strip()]
            if words and re.fullmatch(r"\s*\d+\s*", words[0]):
                words = words[1:]  # an SRT cue number
            head = words[0].strip().split(" ", 1)[0] if words else ""
            if words and head not in ("WEBVTT", "NOTE", "STYLE", "REGION") and not head.startswith("\ufeff"):
                body = "\n".join(words).strip()
                if warnings is not None:
                    warnings.append(f"{_cue_name(len(cues) + 1, '(no timing line)', body)}: it has no timing "
                                    "line; the cue was kept without its times.")
                cues.append((None, None, body))
            continue
        for i, line in enumerate(lines):
            m = TIMING.match(line)
            if m is None and "-->" not in line:
                continue
            body = "\n".join(lines[i + 1 :]).strip()
            if body:
                start = _seconds(m.group("start")) if m else None
                end = _seconds(m.group("end")) if m else None
                problem = None if m else "its timing line cannot be read"
                if start is not None and end is not None and end < start:
                    problem, end = "it ends before it starts", None
                if problem and warnings is not None:
                    warnings.append(f"{_cue_name(len(cues) + 1, line, body)}: {problem}; the cue was kept "
                                    f"{'without its times' if start is None else 'without its end time'}.")
                cues.append((start, end, body))
            break
    return cues


def _label_blocks(raw: list[tuple[float | None, float | None, str, str | None]]) -> list[Block]:
    """Turn (start, end, text, voice) cues into blocks, reading `NAME:` labels where there is no voice."""
    counts: dict[str, int] = {}
    for _, _, text, voice in raw:
        m = CUE_LABEL.match(text)
        if voice is None and m:
            counts[label_key(m.group("label"))] = counts.get(label_key(m.group("label")), 0) + 1
    blocks: list[Block] = []
    for start, end, text, voice in raw:
        if voice is None and re.fullmatch(r"\s*\[[^\[\]]*\]\s*", text, re.S):
            # "[music]", "[SYNTHETIC interview ...]": a note, not anyone's speech.
            blocks.append(Block(" ".join(text.split()), None, start, end, role="other"))
            continue
        speaker = voice
        body = text
        m = CUE_LABEL.match(text)
        if voice is None and m:
            label = m.group("label").strip()
            key = label_key(label)
            if known_role(label) or (plausible_name(label) and counts.get(key, 0) >= 2):
                speaker, body = label, m.group("rest")
        if speaker is None and blocks and blocks[-1].role != "other":
            speaker = blocks[-1].speaker  # an unlabelled cue continues the current turn
        body = " ".join(body.split())
        blocks.append(Block(body, speaker, start, end))
    return merge_blocks(blocks)


def vtt_blocks(text: str, warnings: list[str] | None = None) -> list[Block]:
    raw = []
    for start, end, body in _cues(text, warnings):
        voice = VOICE.search(body)
        name = voice.group("name").strip() if voice else None
        clean = TAG.sub("", body)
        raw.append((start, end, clean, name))
    return _label_blocks(raw)


def srt_blocks(text: str, warnings: list[str] | None = None) -> list[Block]:
    raw = []
    for start, end, body in _cues(text, warnings):
        clean = TAG.sub("", body)  # SubRip allows <i>, <b>, <font>
        clean = re.sub(r"\{\\[^}]*\}", "", clean)  # and ASS-style {\an8} overrides
        raw.append((start, end, clean, None))
    return _label_blocks(raw)
