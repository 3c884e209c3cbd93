"""Errors of exchanging files with other tools (E8xx): REFI-QDA (E80x-E81x), tables (E85x), and
safe writing of the files out (E870-E879).
"""

from __future__ import annotations


class ExchangeTemplates:
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
