"""Every user-facing error of qualcode, numbered and worded in one place.

A message names what was wrong (the file, line, field or id), the bad value, and
what would be right, so that a researcher can fix the input without reading code.
Codes are stable: tests, docs and bug reports refer to them.
"""

from __future__ import annotations


class Errors:
    # Project and store (E1xx)
    E101 = "Project '{path}' does not exist. Create it with `qualcode init {path}`."
    E102 = "Project '{path}' already exists. Open it instead, or choose another file name."
    E103 = (
        "'{path}' is not a qualcode project: {reason}. "
        "A project is a file made by `qualcode init` (or any SQLAlchemy URL to such a database)."
    )
    E104 = (
        "Project '{path}' was written by a newer qualcode (schema revision '{found}'; this version knows "
        "up to '{known}'). Upgrade qualcode to open it."
    )
    E105 = "No transcript named '{name}' in the project. Known transcripts: {known}."
    E106 = "Project '{path}' could not be opened: {reason}."

    # PostgreSQL projects and `qualcode copy` (E110-E129). URLs are shown without their password.
    E110 = (
        "Project '{url}': no PostgreSQL server answered at {where} ({reason}; attempts: {tries}). Check the "
        "host and port in the URL, and that the server runs (`pg_isready -h HOST -p PORT`). Nothing was changed."
    )
    E111 = (
        "Project '{url}': PostgreSQL refused user '{user}' ({reason}). Check the user name and password "
        "(in the URL, $PGPASSWORD or ~/.pgpass) and the server's pg_hba.conf. The password is not shown."
    )
    E112 = (
        "Project '{url}': the server at {where} has no database '{database}'. Create it first "
        "(`createdb {database}` or CREATE DATABASE {database}), then `qualcode init` the URL."
    )
    E113 = (
        "Project '{url}': the connection to PostgreSQL at {where} was lost during this action ({reason}). "
        "PostgreSQL undoes an unfinished transaction, so nothing of this action was stored; do it again "
        "when the server is back (qualcode reconnects by itself, waiting for the server)."
    )
    E114 = (
        "Project '{url}': this change collided with another coder's change at the same moment ({reason}); "
        "PostgreSQL undid it, so nothing of it was stored. Do it again."
    )
    E115 = (
        "Cannot copy to '{dst}': it already holds a qualcode project or other tables ({found}). "
        "Copy into a new, empty file or database (`createdb NAME` for PostgreSQL)."
    )
    E116 = "Cannot copy '{src}' onto itself: give another destination."
    E117 = (
        "Copy of '{src}' to '{dst}' is not exact: table {table} has {got} rows there, {want} here. "
        "Nothing was written to the destination, and the source is unchanged."
    )

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

    # Memos (E410-E429): what a memo is attached to, its text, and the memo files
    E410 = "Memo target '{value}': there is no such kind of target. A memo belongs to one of: {kinds}."
    E411 = "No transcript named '{value}' to attach the memo to. Known transcripts: {known}."
    E412 = "No case named '{value}' to attach the memo to. Known cases: {known}."
    E413 = "No code '{value}' to attach the memo to. Known codes: {known}."
    E414 = "No coding with id {value} to attach the memo to. {hint}"
    E415 = "A project memo has no target, but '{value}' was given. Leave the target out for a project memo."
    E416 = "A {kind} memo needs a target: {what}. None was given."
    E417 = "The memo's text is empty. Write the memo, or delete it instead."
    E418 = "No memo with id {value}. {hint}"
    E419 = (
        "Memo {value} was deleted ({when}). Restore it first ({restore}), then change it."
    )
    E420 = (
        "{path}: memos cannot be written as '{value}'. Use one of: {supported} (the file's extension, or "
        "the format given)."
    )
    E421 = "{path}: the memos could not be written: {reason}. {fix}"
    E422 = "Memo target '{value}' is not understood: write {forms}."

    # Codebooks (E6xx). `where` reads "code 'push.housing'", "rule 'push.housing/ru/2'", ...
    E600 = "{file}: the codebook has {n} problem(s); it was not used.\n{details}"
    E601 = "{file}: cannot read the codebook: {reason}."
    E602 = "{file}, line {line}: {where}: YAML syntax error: {reason}. Fix: {fix}"
    E603 = "{file}, line {line}: {where}: '{key}' is required ({expected}). Fix: add `{key}:`."
    E604 = "{file}, line {line}: {where}: '{key}' must be {expected}; found {found!r}. Fix: {fix}"
    E605 = "{file}, line {line}: {where}: unknown key '{key}'. {hint}Known keys here: {known}."
    E606 = (
        "{file}, line {line}: code '{code}': the id is already used on line {first}. "
        "Fix: give each code its own id (codings point at ids)."
    )
    E607 = (
        "{file}, line {line}: code '{code}': its parent '{parent}' is not defined. "
        "Fix: add a code with id '{parent}' (e.g. a group heading), or set `parent:` to an existing code."
    )
    E608 = (
        "{file}, line {line}: code '{code}': parents form a cycle ({cycle}). "
        "Fix: make one of them a top-level code or give it another parent."
    )
    E609 = "{file}, line {line}: {where}: invalid regex «{pattern}»: {reason}. Fix: {fix}"
    E610 = (
        "{file}, line {line}: {where}: invalid spaCy token pattern: {reason}. "
        "Fix: a token pattern is a list of dicts such as [{{LEMMA: lose}}, {{OP: '?'}}, {{LEMMA: job}}]."
    )
    E611 = (
        "{file}, line {line}: {where}: unknown language '{lang}'. "
        "Fix: use one of: {known} (add a language to `languages:` to write rules in it; "
        "qualcode has pipelines for en, ru and kk)."
    )
    E612 = (
        "{file}, line {line}: {where}: bad colour {value!r}. "
        "Fix: write it as '#rgb' or '#rrggbb' in quotes, e.g. color: \"#d62728\" (unquoted, # starts a "
        "YAML comment and the colour is lost)."
    )
    E613 = "{file}, line {line}: {where}: this rule can never match: {reason}. Fix: {fix}"
    E614 = (
        "{file}, line {line}: rule id '{rule}' is already used on line {first}. "
        "Fix: give each rule its own `id:`, or leave `id:` out to get '<code>/<lang>/<n>'."
    )
    E615 = "{file}, line {line}: {where}: {reason}. Fix: {fix}"
    E617 = (
        "{file}, line {line}: {where}: the key '{key}' is given twice (first on line {first}); YAML would "
        "silently keep only the last. Fix: merge the two into one."
    )
    E616 = "No codebook language matches transcript language '{lang}' ({names}); they were not coded."

    # Rule coding, codings tables and evaluation (E7xx)
    E701 = "{file}, line {line}: column '{column}' is missing. Expected columns: {expected}."
    E702 = "{file}, line {line}: {field} {value!r} {reason}. Fix: {fix}"
    E703 = (
        "{file}, line {line}: the text does not match the transcript at {start}-{end}: the file says "
        "{given!r}, the transcript has {found!r}. {hint}"
    )
    E704 = "No human codings to compare with{who}. Import some (`qualcode codings import`) or code by hand."
    E705 = "The project has no rule run yet. Run `qualcode code PROJECT --codebook FILE` first."
    E706 = "Unknown code '{code}'. {hint}"
    E707 = "Coding {coding} does not exist in the project."
    E710 = (
        "Coding on a Dask cluster needs the `distributed` package: pip install 'dask[distributed]'. "
        "Without --scheduler, qualcode codes in this process (or --workers N local processes)."
    )
    E711 = "Cannot reach the Dask scheduler at {address}: {reason}. Check the address (e.g. tcp://host:8786)."
    E708 = "{file}: {n} row(s) have problems; nothing was imported.\n{details}"
    E709 = "Unknown setting '{key}' or bad value {value!r}. {hint}"

    # Analysis (E72x)
    E720 = "Cannot build the cluster typology: {reason}"
    E721 = "The code pattern {pattern!r} matches no code with codings. Codes with codings: {known}."
    E722 = "Unknown case attribute {name!r}. Case attributes: {known}."
    E723 = "Cannot compute agreement: {reason}"
    E724 = "Unknown coder {name!r}. Coders in this project: {known}."
    E725 = (
        "Cannot cross-tabulate by {name!r}: {reason} "
        "(CLI: `--bins 4` for four groups of equal width, or `--bins 18,30,45,65` for the edges.)"
    )

    # Coding by hand: the workbench (E73x)
    E730 = (
        "No coder name: every coding made, changed, accepted or rejected by hand is stored with its coder. "
        "Enter your name (Coder, in the sidebar; `coder=` in Python) and try again."
    )
    E731 = (
        "Cannot code {start}-{end} in transcript '{name}': {reason}. Offsets are character positions "
        "(code points) from 0 to {length}, with start before end."
    )
    E732 = (
        "Coding {coding} was made by {who}, so {coder} cannot {what} it: each coder changes only their own "
        "codings (agreement compares coders). Code the passage under your own name instead."
    )
    E733 = (
        "Coding {coding} is a {origin} coding ({source}); a re-code would bring it back as it was. "
        "To change it, {fix}."
    )
    E734 = (
        "The selection does not match the transcript at {start}-{end}: the browser sent {given!r}, the "
        "transcript has {found!r}. Reload the page and select the passage again."
    )
    E735 = "Cannot restore coding {coding}: {reason}."
    E736 = "Bad workbench action {action!r}: {reason}."
    E737 = "Nothing to undo in this browser session."

    # Editing codes, case attributes and reviews (E740-E759)
    E740 = (
        "Code id {code!r} is not valid: {reason}. Fix: a dot path of names made of letters, digits and _, "
        "each starting with a letter, e.g. push.housing."
    )
    E741 = "Code '{code}' already exists (named {name!r}). Choose another id, or edit that code."
    E742 = "Cannot move code '{code}' under '{parent}': {reason}. Fix: choose another parent, or none (top level)."
    E743 = "Cannot merge code '{code}' into itself. Fix: choose another code to merge it into."
    E744 = (
        "Code '{code}' has {n} coding(s) ({human} made or reviewed by people){children}: deleting it deletes them. "
        "Confirm the deletion to go ahead (confirm=True); the snapshot it returns restores everything."
    )
    E745 = (
        "Code '{code}' has sub-codes ({children}). Fix: delete them with it (with_children=True), or move "
        "or merge them first."
    )
    E746 = "Bad colour {value!r} for code '{code}'. Fix: write it as '#rgb' or '#rrggbb', e.g. #d62728."
    E747 = "Code '{code}': the name is empty. Fix: give the code a name a reader understands."
    E748 = "Cannot restore code '{code}': {reason}. Nothing was changed."
    E749 = "Code '{code}' has no rules in codebook {file}{lang}. Codes with rules: {known}."
    E750 = "The case attributes have {n} problem(s); nothing was saved.\n{details}"
    E751 = "case '{case}', attribute '{column}': {value!r} is not a {kind}. Fix: {fix}"
    E752 = "case '{case}' is not in the project (row {row}). Fix: cases come from imports; do not rename them here."
    E753 = (
        "Enter your name in the sidebar's Coder field before reviewing: every accept or reject is stored "
        "with its reviewer."
    )
    E754 = "Cannot write the codebook to {file}: {reason}. The file was not changed."
    E755 = "{file}: the upload could not be saved for import: {reason}."
    E756 = "Give the path of a project file (e.g. study.qcdb), or a SQLAlchemy URL."

    # Exchange: REFI-QDA (E80x-E81x)
    E801 = "{file}: not a REFI-QDA {kind} file: {reason}. Nothing was imported."
    E802 = "{file}: the archive is damaged or not a zip file{where}: {reason}. Nothing was imported."
    E803 = (
        "{file}: unsafe member name '{member}' in the archive ({reason}); a member must be a relative "
        "path inside it. The file was refused and nothing was imported."
    )
    E804 = "{file}: the archive exceeds a safety limit: {reason}. The file was refused and nothing was imported."
    E805 = "{file}{where}: malformed XML: {reason}. Nothing was imported."
    E806 = (
        "{file}{where}: the XML declares a DOCTYPE/DTD ({doctype}); REFI-QDA files have none, and entities or "
        "external DTDs can read local files or expand without bound. Refused; nothing was imported."
    )
    E807 = "{file}: no project file (project.qde) in the archive. Members found: {members}."
    E808 = (
        "{file}: the project already has transcript(s) named {names}. Import into a new project, or remove "
        "them first; nothing was imported."
    )
    E809 = "{file}: could not be stored ({reason}); nothing was changed."
    E810 = "{file}: nothing to export: {reason}."
    E811 = "{file}: cannot write the export: {reason}."
    E812 = "{file}: file not found."

    # Exchange: tables (E85x)
    E850 = (
        "{path}: unknown table format '{value}'. Use one of: {supported} (from the file's extension: "
        "{extensions}), or give the format explicitly."
    )
    E851 = (
        "{path}: a {fmt} file holds one table, but {n} were given ({names}). Write them to an .xlsx "
        "file (one sheet per table), or write one table per file."
    )
    E852 = "{path}: no tables to write. Give at least one DataFrame."
    E853 = "{path}: cannot write the file: {reason}. {fix}"
    E854 = "{path}: table '{table}' has the column name(s) {names} more than once. Give each column its own name."
    E855 = "Unknown coding status {value!r}. Use any of: {supported}."
    E856 = "The typology table needs a 'case' column (or the cases as the index). Columns found: {found}."
    E857 = (
        "{path}: table '{table}' has {rows} rows, over Excel's limit of 1,048,575 per sheet. "
        "Write it as csv or parquet."
    )
    E858 = "{path}: written without the {table} table: {reason}."

    # Safe files out: atomic writes, CSV cells (E870-E879)
    E870 = "{path}: cannot write the file: {reason}. {fix} An earlier file of that name is unchanged."

    # Learned suggestions (E900-E919)
    E901 = (
        "No coder named '{name}' in the project. Known coders: {known}. Give the name exactly as it "
        "appears in the coder column of `qualcode codings PROJECT --format table`."
    )
    E902 = (
        "Coder '{name}' has no human decisions to learn from: no codings made by hand or imported, and no "
        "accepted or rejected suggestions. Code a few interviews in the workbench, or import codings with "
        "`qualcode codings import PROJECT FILE --coder {name}`."
    )
    E903 = (
        "{who} coded only one transcript ('{name}'), so there is nothing to cross-validate on: the model is "
        "trained without a table of how well it does. Code a second transcript to see the table."
    )
    E904 = "Code(s) {codes} are not in the project. Known codes: {known}."
    E905 = (
        "No code has {min} or more positive examples from {who} (the most: {best}). Nothing to learn; the "
        "rules stay. Code more turns, or lower --min-positive (at least 2)."
    )
    E906 = (
        "Model {model} stored in the project was refused ({reason}); nothing in it was run. Train a new one "
        "with `qualcode suggest PROJECT --coder NAME`."
    )
    E907 = "Unknown unit '{value}'. Use sentence or turn."
    E908 = "--min-positive must be a whole number of at least 2, not {value!r}: a code needs positives in two folds."
    E909 = "No coder given. Name whose coding to learn from with --coder NAME (repeat for several)."

    # CLI and options (E5xx)
    E501 = "Unknown output format '{value}'. Use one of: {supported}."
    E502 = "No files matched {pattern}."

    # Team mode: its config file, sign-in, roles and members (E520-E549)
    E520 = "Team config '{path}' cannot be read: {reason}. Fix: give the path of the team settings file (TOML)."
    E521 = "Team config '{path}', line {line}: not valid TOML ({reason}). Fix: correct that line."
    E522 = (
        "Team config '{path}': [{section}] {key} is missing{why}. Fix: add it, e.g. {example} "
        "(the README's \"Team server\" section shows a whole file)."
    )
    E523 = "Team config '{path}': [{section}] {key} = {value!r} is not right: {expected}."
    E524 = (
        "Team config '{path}': [projects] names {found}. Fix: give exactly one of `folder` (every .qcdb file in "
        "it is a project) or `database` (one URL, or a list of URLs)."
    )
    E525 = (
        "You are signed in as {subject}, but you have no role in project '{project}'. Nothing of it is shown. "
        "Fix: ask an owner of the project ({owners}) to add you on the Members page."
    )
    E526 = (
        "Refused: {action} needs the role {needed} or higher, and {subject} is {role} in project '{project}'. "
        "Nothing was changed. Fix: ask an owner ({owners}) for the role."
    )
    E527 = "Unknown role {value!r}. Use one of: {known}."
    E528 = "Unknown action {value!r} (a programming error). Known actions: {known}."
    E529 = (
        "Refused: {subject} is the last owner of project '{project}'; {what} would leave no one to manage it. "
        "Fix: make another member owner first."
    )
    E530 = "No member {subject!r} in project '{project}'. Members: {known}."
    E531 = (
        "{value!r} is not a usable member identity: {reason}. Fix: give the e-mail address the person signs in "
        "with (or the provider's subject id)."
    )
    E532 = (
        "The sign-in gave no identity (neither a verified e-mail nor a subject id). Fix: configure the OpenID "
        "provider to send the `email` (or at least `sub`) claim, then sign in again."
    )
    E533 = (
        "'{value}' is not one of the team's projects. In team mode only these can be opened: {known}. "
        "Fix: choose one of them (an administrator adds projects in the configured folder or database)."
    )
    E534 = (
        "Team config '{path}': the folder {folder!r} has no project (.qcdb) files, and no database is named. "
        "Fix: create one there with `qualcode init {folder}/study.qcdb`, or name a database."
    )

    # Working at the same time: the audit log and edit conflicts (E550-E569)
    E550 = (
        "Not saved: the codebook changed since you loaded it (your version {expected}, now {found}){by}. "
        "Your {what} was not written, so nothing of theirs was overwritten. Fix: reload (the page, or "
        "`Project.codebook_version()`), look at their change, and make yours again if it still applies."
    )
    E551 = "Unknown audit action '{value}'. Use one of: {known} (or a family: coding, code, import, member)."
    E552 = (
        "'{value}' is not a date or time for `since`. Write it as ISO 8601, e.g. 2026-12-07 or "
        "2026-12-07T14:30 (UTC unless it names a zone, e.g. 2026-12-07T14:30+06:00)."
    )
    E553 = "No one named '{name}' in the audit log. Actors in the log: {known}."
    E554 = (
        "{file}: not saved: the codebook file changed since you opened it here (someone else saved it at "
        "{when}). Nothing was overwritten. Fix: copy your edit, reload the file, and apply it again."
    )
    E555 = (
        "Not undone: '{label}': coding {coding} was changed in another session since (now: {now}); undoing "
        "would overwrite that change. Nothing was changed, and your action stays as it is."
    )

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


class QualcodeError(Exception):
    """An error a user can fix. `code` is the number (e.g. 'E203'); the message says how."""

    def __init__(self, code: str, /, **fields: object) -> None:
        self.code = code
        self.fields = fields
        template = getattr(Errors, code)
        super().__init__(f"[{code}] " + template.format(**fields))


class ImportFileError(QualcodeError):
    """A single file could not be imported; a batch import records it and goes on."""


class CodebookError(QualcodeError):
    """A codebook could not be read or has problems; `problems` lists each one (E602-E615)."""

    def __init__(self, code: str, problems: list[QualcodeError] | None = None, /, **fields: object) -> None:
        self.problems = problems or []
        super().__init__(code, **fields)


class ProjectError(QualcodeError):
    """The project file is missing, foreign, or too new."""
