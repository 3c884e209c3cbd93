"""Each door speaks its own language: a message worded for the browser app.

qualcode/errors.py keeps one message per code, worded for the command line and Python (they
name flags such as `--new-version` and commands such as `qualcode init`). The app has no such
flags: it has buttons, fields and pages. `APP` maps the command-line phrases of a message to
what a user of the app does instead, code by code, and `for_app` renders any message (one
error, a list of them, or plain text with user values) as safe Markdown for Streamlit: user
text escaped, the phrases swapped, and `code spans` shown as bold, never as literal backticks.
`plain_for_app` gives the same words without markup, for table cells.

Only the core lives here (no streamlit): the pages call these through qualcode.retrieval's
`markdown_lines`, the one function they render messages with.
"""

from __future__ import annotations

import re

from qualcode.retrieval import markdown_text

# CLI phrase (a regex over the message as the CLI prints it) -> the app's words (Markdown; no user
# text in them). Keep each pattern to the literal words of the template in errors.py: if its
# wording changes, tests/test_messages.py finds the flag or backtick that came back.
_PREVIEW = (r"`qualcode import --preview PROJECT [^`]*`", "the **Preview** button on the Project page")
APP: dict[str, tuple[tuple[str, str], ...]] = {
    "E101": ((r"Create it with `qualcode init [^`]*`\.",
              "Create it on the Project page, under **Open or create another project**."),),
    "E103": ((r"A project is a file made by `qualcode init` \(or any SQLAlchemy URL to such a database\)\.",
              "Open a project file made on the Project page (**Open or create another project**) or by "
              "qualcode on the command line."),),
    "E112": ((r"then `qualcode init` the URL\.", "then create the project in it from the command line."),),
    "E205": ((r"Split it, or raise the limit \(`--max-bytes` or ImportOptions\(max_bytes=\.\.\.\)\)\.",
              "Split it into smaller files and upload those."),),
    "E207": ((r"Re-save it as UTF-8, or give the encoding with `--encoding`\.",
              "Re-save it as UTF-8 and upload it again."),),
    "E211": ((r"Import it under another name \(`--name`\), or as a new version \(`--new-version`\)\.",
              "Rename the file and upload it again, or tick **A changed file with a known name becomes a "
              "new version** above the **Import** button to import it as a new version."),),
    "E302": ((r"Name it with `--text-column` \(turns\) or list the answer columns with `--answer-columns`\.",
              "Choose the **Table layout** that fits the file (one row per turn, or one row per respondent), "
              "or give the text column a header such as text, and upload it again."),),
    "E550": ((r"reload \(the page, or `Project\.codebook_version\(\)`\)", "reload the page"),),
    "E704": ((r"Import some \(`qualcode codings import`\) or code by hand\.",
              "Code by hand on the **Code** page, or review suggestions on the **Review** page."),),
    "E705": ((r"Run `qualcode code PROJECT --codebook FILE` first\.",
              "Run a codebook on the **Auto-code** page first."),),
    "E725": ((r" \(CLI: `--bins 4` for four groups of equal width, or `--bins 18,30,45,65` for the edges\.\)",
              ""),),
    "E730": ((r"\(Coder, in the sidebar; `coder=` in Python\)", "(**Coder**, in the sidebar)"),),
    "E744": ((r"Confirm the deletion to go ahead \(confirm=True\); the snapshot it returns restores everything\.",
              "Confirm the deletion to go ahead; **Undo** brings everything back."),),
    "E745": ((r"Fix: delete them with it \(with_children=True\), or move or merge them first\.",
              "Fix: tick the box to delete them with it, or move or merge them first."),),
    "E858": ((r"give --codebook FILE",
              "code the project with that codebook again on the **Auto-code** page, so the project keeps a copy"),),
    "E901": ((r"Give the name exactly as it appears in the coder column of `qualcode codings PROJECT --format table`\.",
              "Choose one of the coders listed."),),
    "E902": ((r"Code a few interviews in the workbench, or import codings with `qualcode codings import PROJECT FILE "
              r"--coder [^`]*`\.",
              "Code a few interviews on the **Code** page, or accept and reject suggestions on the **Review** page."),),
    "E905": ((r"or lower --min-positive \(at least 2\)\.", "or lower **Fewest examples for a model** (at least 2)."),),
    "E906": ((r"Train a new one with `qualcode suggest PROJECT --coder NAME`\.",
              "Train a new one with **Learn from coding** on the Auto-code page."),),
    "E954": ((r"Fix: correct the front matter, or import with `--update-cases` \(ImportOptions\(update_cases=True\)\) "
              r"to update the case\.",
              "Fix: correct the front matter and upload the file again, or change the case's attributes in "
              "the **Case attributes** table on the Project page."),),
    "E955": ((r", or raise the limit \(`--max-attributes N`\)\.", " and upload it with the transcript."),),
    "E980": (_PREVIEW, (r"give a speaker map \(--speaker-map\) naming them\.",
                        "put each speaker's label at the start of their lines in the file and upload it again."),),
    "E981": (_PREVIEW, (r"and name the labels in a speaker map \(--speaker-map\) if they were missed\.",
                        "and if labels were missed, put them at the start of their lines in the file and "
                        "upload it again."),),
    "E982": ((r"Fix: give a speaker map \(--speaker-map, `Label: interviewer`\), or correct the roles in "
              r"`qualcode import --preview PROJECT [^`]*`\.",
              "Fix: correct the roles in the roles table that **Preview** shows on the Project page, then "
              "import."),),
    "E983": (_PREVIEW, (r"swap them with a speaker map \(`Speaker A: respondent`, `Speaker B: interviewer`\)\.",
                        "correct them in its roles table before you import."),),
    "E984": ((r"Fix: give one of them with --id-column\.",
              "Fix: give the column that holds the case id the header case (or file) and upload the table "
              "again."),),
    "E985": ((r", or pass --keep-unmatched to add them as cases without transcripts\.",
              "; the app adds only cases that have a transcript."),),
    "E990": ((r" \(`qualcode import PROJECT [^`]*`\)", ""),),
}

_CODE = re.compile(r"\[(E\d{3})\]")
_SPAN = re.compile(r"\\`(.+?)\\`")


def _swapped(line: str) -> tuple[str, list[str]]:
    """The line with each CLI phrase of its codes replaced by a marker, and the app's words."""
    words: list[str] = []

    def mark(app: str):
        def keep(_match: re.Match) -> str:
            words.append(app)
            return f"\x00{len(words) - 1}\x00"
        return keep

    for code in dict.fromkeys(_CODE.findall(line)):
        for pattern, app in APP.get(code, ()):
            line = re.sub(pattern, mark(app), line)
    return line, words


def for_app(message: object) -> str:
    """A message (or any text with user values in it) as safe Markdown worded for the app."""
    out = []
    for line in str(message).splitlines():
        line, words = _swapped(line)
        escaped = markdown_text(line)
        if _CODE.search(line):  # an error's `code spans` show as bold, not as backticks
            escaped = _SPAN.sub(r"**\1**", escaped)
        out.append(re.sub("\x00(\\d+)\x00", lambda m, w=words: w[int(m.group(1))], escaped))
    return "  \n".join(out)


def plain_for_app(message: object) -> str:
    """The same words as `for_app`, as plain text (for a table cell): no markup, no backticks."""
    out = []
    for line in str(message).splitlines():
        line, words = _swapped(line)
        line = re.sub("\x00(\\d+)\x00", lambda m, w=words: w[int(m.group(1))].replace("**", ""), line)
        out.append(re.sub(r"`([^`]+)`", r"\1", line) if _CODE.search(line) else line)
    return "\n".join(out)
