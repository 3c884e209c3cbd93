"""Output files that appear whole or not at all: every export and every `--out` goes through here.

`atomic_path(target)` hands the writer a temporary file in the target's own folder, named
`.<name>.qc<pid>-<random>.tmp`, and renames it over the target only once the writer has
finished and the bytes are on disk. A command killed at any moment therefore leaves the
earlier file or the new one, never an empty or a truncated one (a rename within one folder
is atomic on POSIX and on Windows).

The temporary file gets the mode a plain `open(target, "w")` would give: the existing
file's permissions if it is being replaced, otherwise 0666 less the umask. So a .qdpx, a
.csv and a .sav written in the same folder get the same mode (`tempfile.mkstemp` would
give 0600).

A temporary left behind by a killed run is removed by the next write to the same target,
but only when the process named in it is gone, so two commands writing the same file at
once do not delete each other's work. (On a folder shared between machines a process id
means nothing; there the rule still only removes files of our own naming pattern.)
"""

from __future__ import annotations

import os
import re
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from qualcode.errors import QualcodeError

# Test hook, as in qualcode.runs: seconds to stall half-way through a write, so a test can
# kill the command at the worst moment. Never set it outside tests.
STALL_ENV = "QUALCODE_TEST_STALL_IN_WRITE"
SUFFIX = ".tmp"


class OutputError(QualcodeError):
    """An output file could not be written; the earlier file, if any, is unchanged."""


def _pattern(target: Path) -> re.Pattern[str]:
    return re.compile(rf"\.{re.escape(target.name)}\.qc(\d+)-[0-9a-f]{{8}}{re.escape(SUFFIX)}")


def temp_name(target: Path) -> Path:
    """A fresh temporary name beside `target` that names this process (see `clean_stale`)."""
    return target.with_name(f".{target.name}.qc{os.getpid()}-{uuid.uuid4().hex[:8]}{SUFFIX}")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name == "nt":  # os.kill(pid, 0) would terminate the process on Windows: assume it runs
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists but belongs to someone else
        return True
    return True


def clean_stale(target: str | Path) -> list[Path]:
    """Remove temporaries of `target` left by processes that no longer run; return them."""
    target = Path(target)
    pattern = _pattern(target)
    removed = []
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return removed
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match and not _alive(int(match.group(1))):
            try:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
            except OSError:
                pass  # someone else cleaned it, or we may not: leave it
    return removed


def _resolve(target: str | Path) -> Path:
    """The file to replace: a symbolic link is followed (as `open(link, "w")` would), so the
    link stays and the file it points to gets the new content."""
    target = Path(target)
    return Path(os.path.realpath(target)) if target.is_symlink() else target


def _mode(target: Path) -> int | None:
    try:
        st = target.stat()
    except OSError:
        return None
    return st.st_mode & 0o7777


def stall(where: str) -> None:
    """The test hook: stall `QUALCODE_TEST_STALL_IN_WRITE` seconds, saying so on stderr."""
    seconds = os.environ.get(STALL_ENV)
    if seconds:
        print(f"qualcode: stalling {seconds}s {where} (test hook)", file=sys.stderr, flush=True)
        time.sleep(float(seconds))


@contextmanager
def atomic_path(target: str | Path, *, hook: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside `target` to write to; rename it over `target` on success.

    On an exception the temporary is removed and `target` is untouched. OSErrors propagate
    (callers turn them into their own numbered errors); `hook=False` leaves the stall test
    hook to the caller."""
    target = _resolve(target)
    clean_stale(target)
    mode = _mode(target)
    tmp = temp_name(target)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # 0666 less the umask
    try:
        try:
            if mode is not None:
                os.chmod(tmp, mode)  # replacing a file keeps its permissions, as an in-place write would
        finally:
            os.close(fd)
        yield tmp
        with open(tmp, "rb") as fh:  # the writer may have closed its own handle: sync by ours
            os.fsync(fh.fileno())
        if hook:
            stall(f"before renaming {tmp.name} over {target.name}")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes(target: str | Path, data: bytes | str, *, encoding: str = "utf-8") -> Path:
    """Write `data` to `target` atomically (see the module); raises OutputError E870."""
    if isinstance(data, str):
        data = data.encode(encoding)
    target = Path(target)
    if target.is_dir():
        raise OutputError("E870", path=target, reason="it is a folder", fix="Give a file name inside it.")
    if not target.parent.is_dir():
        raise OutputError("E870", path=target, reason=f"the folder {target.parent} does not exist",
                          fix="Create it first, or choose another folder.")
    try:
        with atomic_path(target, hook=False) as tmp, open(tmp, "wb") as fh:
            half = len(data) // 2
            fh.write(data[:half])
            fh.flush()
            stall(f"half-way through writing {tmp.name}")
            fh.write(data[half:])
    except OSError as exc:
        raise OutputError("E870", path=target, reason=exc.strerror or str(exc),
                          fix="Check that the folder is writable and the file is not open in another "
                              "program.") from None
    return target
