"""Errors of learned suggestions (E900-E919): which coder to learn from, and the stored models.
"""

from __future__ import annotations


class SuggestionTemplates:
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
