"""Errors of memos (E410-E429): what a memo is attached to, its text, and the memo files.
"""

from __future__ import annotations


class MemoTemplates:
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
