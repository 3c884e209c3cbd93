"""Errors that keep hostile or broken input bounded (E950-E969) and the browser app inside its
folders and hosts (E970-E979): nothing is changed silently.
"""

from __future__ import annotations


class SafetyTemplates:
    # Hostile or broken input: bounded work, nothing changed silently (E950-E969)
    E950 = (
        "{file}, line {line}: {where}: the regex «{pattern}» can take exponential time ({reason}), so one turn "
        "of a few dozen characters could keep the coder busy for hours. Fix: {fix}"
    )
    E951 = (
        "Rule '{rule}' (regex «{pattern}») was stopped after {seconds:g} s on {where}: the pattern backtracks "
        "without end on this text. Nothing was coded{stored}. Fix: rewrite it so that no repeated part can match "
        "the same characters in two ways (e.g. (a+)+ -> a+), or make the repeat atomic: (?>...) or a++."
    )
    E952 = (
        "{file}, line {line}: the YAML uses an {what} ({value}); qualcode reads no YAML anchors or aliases in "
        "{kind}, because a few hundred bytes of nested aliases can expand to gigabytes. "
        "Fix: write the value out in full where it is used."
    )
    E953 = (
        "{file}, line {line}: the YAML is nested more than {limit} levels deep; {kind} never need that. "
        "Nothing was read. Fix: flatten the structure."
    )
    E954 = (
        "{file}: case '{case}' already exists, and the front matter would change {changes}. Nothing was imported. "
        "Fix: correct the front matter, or import with `--update-cases` (ImportOptions(update_cases=True)) "
        "to update the case."
    )
    E955 = (
        "{file}: the front matter has {n:,} case attributes, over the limit of {limit:,}. Nothing was imported. "
        "Fix: keep the case attributes in a cases table, or raise the limit (`--max-attributes N`)."
    )
    E956 = (
        "{file}, line {line}: a cell is longer than {limit:,} characters; this is not a table of codings "
        "(or a cell lost its closing quote). Nothing was imported. Fix: check the quotes around that line."
    )
    E957 = (
        "Project '{path}' stayed locked by another writer for {seconds:g} s ({tries} tries); nothing of this "
        "step was stored. Another command or browser session (e.g. a long re-code) is writing to it: let it "
        "finish, then run this again."
    )
    E958 = (
        "Project URL '{url}' needs the database driver '{module}', which is not installed. "
        "Fix: pip install {package}"
    )

    # The browser app: which files it may touch, who may use it (E970-E979)
    E970 = (
        "'{path}' is outside the folders the browser app may use{resolved}. It reads and writes only in: "
        "{folders}. Fix: move the file into one of them, or upload it."
    )
    E971 = "'{path}': a codebook is saved only as a .yaml or .yml file. Fix: give a name ending in .yaml."
    E972 = (
        "'{path}' exists and is not a codebook ({reason}); it was left untouched. "
        "Fix: save the codebook under another name."
    )
    E973 = (
        "'{path}' is a database address; the browser app opens only project files in {folders}. "
        "Fix: open it from the command line (`qualcode serve URL`)."
    )
    E974 = "'{path}' is not a file (it is a folder or a device). Fix: give the path of a file."
    E975 = "Port {port} on {address} is in use{reason}. Fix: stop what uses it, or choose another with --port."
    E976 = "The browser app did not start: {reason}. Nothing was changed; its own messages are above."
    E977 = (
        "This browser session has no valid token, so qualcode shows nothing. Fix: open the address that "
        "`qualcode serve` printed when it started (it ends in ?token=...)."
    )
    E978 = (
        "Refused: the request names the host {host!r}, which is not this machine ({allowed}). "
        "Fix: open the address `qualcode serve` printed, or allow the name with --allow-host."
    )
