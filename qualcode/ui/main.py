"""The app's script inside the package, for `qualcode serve` (which also works from an
installed wheel, where the repository's app.py is not there)."""

from qualcode.ui.shell import run

run()
