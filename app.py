"""qualcode in the browser: `streamlit run app.py`.

Opens `$QUALCODE_PROJECT`, or the bundled sample project (built on first run).
Only this file and qualcode/ui import streamlit; everything else is the core.
"""

from qualcode.ui.shell import run

run()
