"""Errors of coding and what is built on codings (E7xx): rule coding, codings tables and evaluation,
analysis (E72x), coding by hand in the workbench (E73x), and editing codes, case attributes and
reviews (E740-E759).
"""

from __future__ import annotations


class CodingTemplates:
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
