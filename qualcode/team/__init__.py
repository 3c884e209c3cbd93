"""Team mode (issue 16): the settings file, roles per project and the members who hold them.

Core only: no Streamlit here. The browser side (sign-in, page and action guards, the Members
page) is in qualcode/ui/team.py and qualcode/ui/views/members.py.
"""

from qualcode.team.config import TeamConfig, load
from qualcode.team.roles import ACTIONS, ROLES, allowed, require

__all__ = ["ACTIONS", "ROLES", "TeamConfig", "allowed", "load", "require"]
