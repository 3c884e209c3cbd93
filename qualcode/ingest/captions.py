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


def _cues(text: str) -> list[tuple[float, float, str]]:
    """(start, end, raw text) of each cue; headers, NOTE, STYLE and REGION blocks are skipped."""
    cues = []
    for block in re.split(r"\n\s*\n", text):
        lines = [ln for ln in block.strip("\n").split("\n")]
        for i, line in enumerate(lines):
            m = TIMING.match(line)
            if m:
                body = "\n".join(lines[i + 1 :]).strip()
                if body:
                    cues.append((_seconds(m.group("start")), _seconds(m.group("end")), body))
                break
    return cues


def _label_blocks(raw: list[tuple[float, float, str, str | None]]) -> list[Block]:
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


def vtt_blocks(text: str) -> list[Block]:
    raw = []
    for start, end, body in _cues(text):
        voice = VOICE.search(body)
        name = voice.group("name").strip() if voice else None
        clean = TAG.sub("", body)
        raw.append((start, end, clean, name))
    return _label_blocks(raw)


def srt_blocks(text: str) -> list[Block]:
    raw = []
    for start, end, body in _cues(text):
        clean = TAG.sub("", body)  # SubRip allows <i>, <b>, <font>
        clean = re.sub(r"\{\\[^}]*\}", "", clean)  # and ASS-style {\an8} overrides
        raw.append((start, end, clean, None))
    return _label_blocks(raw)
