"""Errors of the command line's own options (E501-E519).
"""

from __future__ import annotations


class OptionTemplates:
    # CLI and options (E5xx)
    E501 = "Unknown output format '{value}'. Use one of: {supported}."
    E502 = "No files matched {pattern}."
