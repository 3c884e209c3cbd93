"""Errors of importing transcripts and their tables: the file itself (E2xx), tables of turns or
answers (E3xx), case attributes and speaker maps (E401-E407), and import without silent loss:
layouts, facesheets, highlights and new versions (E980-E999).
"""

from __future__ import annotations


class ImportTemplates:
    # Import: the file itself (E2xx)
    E201 = "{file}: file not found."
    E202 = (
        "{file}: unknown file type '{ext}'. Supported: {supported}. "
        "Rename the file or convert it to one of these."
    )
    E203 = "{file}: the file is empty (0 bytes). Nothing to import."
    E204 = "{file}: the file has no text (only whitespace). Nothing to import."
    E205 = (
        "{file}: the file is {size} bytes, over the import limit of {limit} bytes. "
        "Split it, or raise the limit (`--max-bytes` or ImportOptions(max_bytes=...))."
    )
    E206 = (
        "{file}: looks like binary data, not text ({reason}). "
        "If it is a document, save it as .txt, .docx, .odt or .pdf first."
    )
    E207 = (
        "{file}: could not decode the text ({reason}). Supported encodings: UTF-8, UTF-16, Windows-1251, "
        "KOI8-R, CP866 and other common ones. Re-save it as UTF-8, or give the encoding with `--encoding`."
    )
    E208 = "{file}: the {kind} file is corrupt or not really a {kind} file: {reason}."
    E209 = (
        "{file}: the PDF has no text layer (it is probably a scan). "
        "Run OCR on it first (for example with ocrmypdf) and import the result."
    )
    E210 = (
        "{file}: already imported as transcript '{existing}' (identical content, sha256 {sha}). "
        "Skipped; nothing was changed."
    )
    E211 = (
        "{file}: a transcript named '{name}' already exists with different content. "
        "Import it under another name (`--name`), or as a new version (`--new-version`)."
    )
    E212 = (
        "{file}, line {line}: the YAML front matter is not valid YAML: {reason}. "
        "Front matter is a block between two lines of '---' at the top of the file."
    )
    E213 = "{file}, line {line}: the front matter must be a mapping of `key: value` lines, not {found}."
    E214 = (
        "{file}: language '{value}' is not supported. Use one of: {supported} "
        "(or 'auto' to detect it)."
    )
    E215 = "{file}: no text found in the {kind} document."

    # Import: tables of turns or answers (E3xx)
    E301 = (
        "{file}: column '{column}' (given for {role}) is not in the table. Columns found: {found}."
    )
    E302 = (
        "{file}: cannot tell which column holds the text. Columns found: {found}. "
        "Name it with `--text-column` (turns) or list the answer columns with `--answer-columns`."
    )
    E303 = "{file}: the table has no rows."
    E304 = "{file}, row {row}: {reason}"

    # Attributes and speaker maps (E4xx)
    E401 = (
        "{file}: the cases table needs a column that names the case ({case_cols}) or the file "
        "({file_cols}). Columns found: {found}."
    )
    E402 = "{file}, line {line}: case '{case}' appears twice in the cases table. Keep one row per case."
    E403 = (
        "{file}: attribute '{attribute}' has value '{value}' for case '{case}', but '{other}' "
        "for the same case elsewhere. Keep one value."
    )
    E404 = (
        "{file}: speaker map entry '{speaker}' has role '{role}'. "
        "Roles are: interviewer, respondent, other."
    )
    E405 = (
        "{file}: a speaker map is a mapping `Speaker label: role` (YAML/JSON) or a CSV with columns "
        "speaker,role; found {found}."
    )
    E406 = "{file}: cannot read the table: {reason}."
    E407 = (
        "{file}: attribute name '{attribute}' is reserved or empty. Rename the column."
    )

    # Import without silent loss: layouts, facesheets, highlights, new versions (E980-E999)
    E980 = (
        "{file}: only {share:.0%} of the text is in turns ({outside:,} characters are in no turn and cannot be "
        "coded; the largest part starts at line {line}: \"{excerpt}\"). Fix: look at the turns with {preview}; "
        "if speaker labels were missed, give a speaker map (--speaker-map) naming them."
    )
    E981 = (
        "{file}: turn {turn} ({speaker}) holds {share:.0%} of the text (from line {line}: \"{excerpt}\"); "
        "labels may have been missed inside it. Fix: look at it with {preview}, and name the labels in a "
        "speaker map (--speaker-map) if they were missed."
    )
    E982 = (
        "{file}: the speakers {speakers} all got the role '{role}'; interviewer and respondent could not be told "
        "apart. Fix: give a speaker map (--speaker-map, `Label: interviewer`), or correct the roles in {preview}."
    )
    E983 = (
        "{file}: no speaker labels; roles were inferred from alternating paragraphs with low confidence "
        "({confidence:.0%}: {cues}). Fix: check them with {preview}; swap them with a speaker map "
        "(`Speaker A: respondent`, `Speaker B: interviewer`)."
    )
    E984 = (
        "{file}: no column '{column}' for the case id. Columns: {found}. Fix: give one of them with --id-column."
    )
    E985 = (
        "{file}: {count} row(s) match no transcript and were not added as cases: {rows}. Fix: import their "
        "transcripts first (the join is on the case id or the file name, case-insensitively), or pass "
        "--keep-unmatched to add them as cases without transcripts."
    )
    E986 = (
        "{file}, row {row}: the highlight of '{tag}' (\"{excerpt}\") is not in transcript '{document}'; it was "
        "not imported. Fix: check that the transcript is the same text that was highlighted."
    )
    E987 = (
        "{file}, row {row}: the highlight of '{tag}' (\"{excerpt}\") occurs {count} times in '{document}'; "
        "every occurrence was coded. Fix: remove the ones that were not meant."
    )
    E988 = (
        "{file}, row {row}: no transcript named '{document}' in the project (known: {known}); its highlights "
        "were not imported. Fix: import the transcript first, under the name (or file name) Taguette used."
    )
    E990 = (
        "{file}: this is a highlights table (document, tag, content: codings from Taguette or a similar tool), "
        "not transcripts; it was not read as a survey. Fix: import it on its own, after its transcripts "
        "(`qualcode import PROJECT {file}`): each highlight is located in its transcript by its text."
    )
    E989 = (
        "{file}: {lost} coding(s) of the previous version could not be placed in the new text (their words "
        "are gone); they are listed in {path}. Nothing else was lost: {exact} carried exactly, {moved} moved "
        "and flagged for review."
    )
