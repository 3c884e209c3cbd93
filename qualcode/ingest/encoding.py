"""Turn a file's bytes into normalised text, detecting the encoding.

Interviews from Kazakhstan arrive as UTF-8, UTF-16 (Word's "Unicode text"),
Windows-1251, KOI8-R and DOS CP866. charset-normalizer proposes candidates; for
Cyrillic we add the three Russian code pages and pick the decoding that reads
most like real Cyrillic text (mostly lower case, common letters). A short text
in KOI8-R decodes without error as Windows-1251 too, but into upper-case noise,
so "decodes" alone cannot decide.
"""

from __future__ import annotations

import codecs
import math
import unicodedata

from charset_normalizer import from_bytes

from qualcode.errors import ImportFileError

CYRILLIC_CODEPAGES = ("cp1251", "koi8_r", "cp866")
WESTERN_CODEPAGES = ("cp1252",)
# Names charset-normalizer may report for the same bytes, mapped to the usual name.
CANONICAL = {"cp1125": "cp866", "mac_cyrillic": "cp1251", "ibm866": "cp866", "windows-1251": "cp1251"}

# Relative frequency of lower-case letters in Russian prose (per mille, rounded), with the
# Kazakh-specific letters at a modest weight. Used only to rank candidate decodings.
_FREQ = {
    "о": 110, "е": 85, "а": 80, "и": 74, "н": 67, "т": 63, "с": 55, "р": 47, "в": 45, "л": 44,
    "к": 35, "м": 32, "д": 30, "п": 28, "у": 26, "я": 20, "ы": 19, "ь": 17, "г": 17, "з": 16,
    "б": 16, "ч": 14, "й": 12, "х": 10, "ж": 9, "ш": 7, "ю": 6, "ц": 5, "щ": 4, "э": 3,
    "ф": 3, "ъ": 1, "ё": 1, "ә": 8, "ғ": 4, "қ": 8, "ң": 6, "ө": 4, "ұ": 4, "ү": 4, "һ": 1, "і": 10,
}
_LOGP = {ch: math.log(f / 1000) for ch, f in _FREQ.items()}
_UNSEEN = math.log(0.5 / 1000)


def normalise(text: str) -> str:
    """NFC, no BOM, `\\n` newlines: the form every offset in qualcode refers to."""
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


_COMMON_PUNCT = set("«»„“”‘’–—…№•·\u00a0°€£$%")


def text_score(text: str) -> float:
    """Average log-likelihood per non-ASCII character; higher reads more like real text.

    ASCII decodes the same in every candidate encoding, so only the other characters
    are scored: common Cyrillic letters score high, rare ones lower, a capital
    inside a word (typical of a wrong Cyrillic code page) and runs of accented Latin
    letters (Cyrillic words read as Windows-1252) are penalised, and symbols or
    box-drawing characters (a DOS code page read wrongly) score lowest.
    """
    total = 0.0
    count = 0
    prev_letter_lower = False
    prev_ascii_letter = False
    latin_run = 0
    for ch in text:
        if ch < "\x80":
            prev_letter_lower = ch.isalpha() and ch.islower()
            prev_ascii_letter = ch.isalpha()
            latin_run = 0
            continue
        mixed = prev_ascii_letter  # a Cyrillic letter glued to a Latin one: a wrong code page
        prev_ascii_letter = False
        count += 1
        if "\u0400" <= ch <= "\u04ff":
            low = ch.lower()
            total += _LOGP.get(low, _UNSEEN)
            if ch != low and prev_letter_lower:
                total -= 4.0
            if mixed:
                total -= 4.0
            prev_letter_lower = ch == low
            latin_run = 0
        elif ch.isalpha():
            latin_run += 1
            total += -4.5 - (3.0 if latin_run >= 3 else 0.0)
            if not ch.islower() and prev_letter_lower:
                total -= 4.0
            prev_letter_lower = ch.islower()
        elif ch in _COMMON_PUNCT or unicodedata.category(ch) in ("Zs", "Pd", "Pi", "Pf", "Po"):
            total += -4.0
            prev_letter_lower = False
            latin_run = 0
        else:
            total += -9.0
            prev_letter_lower = False
            latin_run = 0
    return total / count if count else 0.0


def _control_ratio(data: bytes) -> float:
    sample = data[:65536]
    bad = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return bad / max(len(sample), 1)


def _utf16_without_bom(data: bytes) -> str | None:
    """Recognise UTF-16 text saved without a BOM: NULs in every other byte."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even_nuls = sum(1 for b in sample[0::2] if b == 0) / len(sample[0::2])
    odd_nuls = sum(1 for b in sample[1::2] if b == 0) / len(sample[1::2])
    codec = "utf_16_le" if odd_nuls > 0.3 and even_nuls < 0.05 else None
    if even_nuls > 0.3 and odd_nuls < 0.05:
        codec = "utf_16_be"
    return codec


def _mostly_utf8(data: bytes) -> tuple[str, int] | None:
    """UTF-8 with a few bad bytes: (text with U+FFFD for each, how many), or None.

    A file in a legacy code page almost never holds a valid multi-byte UTF-8 sequence
    (Cyrillic in cp1251 is one byte per letter, and the bytes after a lead byte are
    letters, not continuation bytes), so a file whose valid non-ASCII characters are at
    least as many as its bad bytes is UTF-8 that was damaged, not another encoding:
    reading it as cp1251 turns every good letter into mojibake ("РџСЂРёРІРµС‚").
    """
    text = data.decode("utf_8", errors="replace")
    bad = text.count("\ufffd") - data.count("\ufffd".encode())
    good = sum(1 for ch in text if ch >= "\x80" and ch != "\ufffd")
    if bad > 0 and good >= bad:
        return text, bad
    return None


def decode_reporting(data: bytes, file: str, encoding: str | None = None) -> tuple[str, str, list[str]]:
    """`decode`, and the warnings a user must see (bad bytes replaced, with their count)."""
    if not encoding and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and b"\x00" not in data:
        try:
            data.decode("utf_8")
        except UnicodeDecodeError:
            damaged = _mostly_utf8(data.removeprefix(codecs.BOM_UTF8))
            if damaged is not None:
                text, bad = damaged
                return normalise(text), "utf_8", [
                    f"{file}: {bad} byte sequence(s) are not valid UTF-8; they were stored as the replacement "
                    "character \ufffd and the rest as UTF-8. If the whole file is in another encoding, import it "
                    "again with `--encoding NAME` (e.g. cp1251)."
                ]
    text, name = decode(data, file, encoding)
    return text, name, []


def decode(data: bytes, file: str, encoding: str | None = None) -> tuple[str, str]:
    """Decode `data` (the bytes of `file`) and normalise it. Returns (text, encoding name).

    Raises ImportFileError E206 for binary data and E207 for text it cannot decode.
    UTF-8 with a few bad bytes is read as UTF-8 with replacement characters (see
    `decode_reporting`, which also returns the warning), never as another encoding.
    """
    if encoding:
        try:
            codecs.lookup(encoding)
            return normalise(data.decode(encoding)), encoding
        except LookupError as exc:
            raise ImportFileError("E207", file=file, reason=f"unknown encoding '{encoding}'") from exc
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                "E207", file=file, reason=f"not valid {encoding} at byte {exc.start} (0x{data[exc.start]:02x})"
            ) from exc

    boms = (
        (codecs.BOM_UTF32_LE, "utf_32"),
        (codecs.BOM_UTF32_BE, "utf_32"),
        (codecs.BOM_UTF8, "utf_8_sig"),
        (codecs.BOM_UTF16_LE, "utf_16"),
        (codecs.BOM_UTF16_BE, "utf_16"),
    )
    for bom, codec in boms:
        if data.startswith(bom):
            try:
                return normalise(data.decode(codec)), codec
            except UnicodeDecodeError as exc:
                raise ImportFileError(
                    "E207", file=file, reason=f"it starts with a {codec} byte-order mark but is not valid {codec}"
                ) from exc

    if b"\x00" in data:
        codec = _utf16_without_bom(data)
        if codec:
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                pass
            else:
                # NULs every other byte are also what a run of binary control codes looks like.
                if _control_ratio(text[:65536].encode("utf-8", "replace")) > 0.02:
                    raise ImportFileError("E206", file=file, reason=f"read as {codec}, it is control characters")
                return normalise(text), codec
        raise ImportFileError("E206", file=file, reason="it contains NUL bytes")
    if _control_ratio(data) > 0.02:
        raise ImportFileError("E206", file=file, reason="it contains many control characters")

    try:
        return normalise(data.decode("utf_8")), "utf_8"
    except UnicodeDecodeError:
        damaged = _mostly_utf8(data)
        if damaged is not None:
            return normalise(damaged[0]), "utf_8"

    candidates: dict[str, str] = {}
    for match in from_bytes(data):
        name = CANONICAL.get(match.encoding, match.encoding)
        try:
            candidates.setdefault(name, data.decode(name))
        except (UnicodeDecodeError, LookupError):
            candidates.setdefault(match.encoding, str(match))
    for name in CYRILLIC_CODEPAGES + WESTERN_CODEPAGES:
        try:
            candidates.setdefault(name, data.decode(name))
        except UnicodeDecodeError:
            continue
    if not candidates:
        raise ImportFileError("E207", file=file, reason="no known encoding fits its bytes")

    # On a tie, prefer the code pages our users actually have over exotic ones.
    preferred = CYRILLIC_CODEPAGES + WESTERN_CODEPAGES
    scored = {name: text_score(text) + (0.05 if name in preferred else 0.0) for name, text in candidates.items()}
    best = max(scored, key=lambda n: scored[n])
    # Real Russian scores about -3.2 per non-ASCII character; random high bytes about -6.
    if scored[best] < -5.5:
        raise ImportFileError(
            "E207", file=file, reason="its bytes do not read as text in any known encoding"
        )
    return normalise(candidates[best]), best
