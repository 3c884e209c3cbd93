"""The Streamlit server behind `qualcode serve`: the app (qualcode/ui/main.py) as an `st.App`
with the gate (qualcode/ui/gate.py) in front of every route.

Run by `qualcode serve` as `python -m qualcode.ui.server`, which passes everything through the
environment: QUALCODE_TOKEN (required: without a token there is no gate, so this refuses to
start), QUALCODE_ADDRESS, QUALCODE_PORT and QUALCODE_ALLOWED_HOSTS (comma-separated names).
In team mode (`qualcode serve --team CONFIG`) only QUALCODE_TEAM_CONFIG, the settings file's path:
the server reads where to bind and the sign-in settings from it (qualcode/team/config.py).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from qualcode.ui.gate import Gate, HostCheck, HostRule

MAIN = Path(__file__).resolve().parent / "main.py"
COMMON = {
    "server.headless": True, "browser.gatherUsageStats": False, "client.toolbarMode": "viewer",
    "server.maxUploadSize": 500,
    # `qualcode serve` prints the address (with the token); Streamlit's own line would lack it.
    "logger.hideWelcomeMessage": True,
}


def build(token: str, address: str, allowed_hosts: list[str]) -> st.App:
    hosts = HostRule(address, allowed_hosts)
    return st.App(str(MAIN), middleware=[Middleware(Gate, token=token, hosts=hosts)])


def build_team(path: str) -> tuple[st.App, dict[str, object]]:
    """The team server (`qualcode serve --team CONFIG`): Host check, no token (everyone signs in),
    Streamlit's [auth] settings given as secrets in memory (never in a file, the environment or
    a log), and where to bind from the settings file."""
    from qualcode.team.config import load

    cfg = load(path)
    hosts = HostRule(cfg.address, cfg.hosts())
    app = st.App(str(MAIN), middleware=[Middleware(HostCheck, hosts=hosts)], secrets=cfg.streamlit_secrets())
    return app, {"server.address": cfg.address, "server.port": cfg.port}


def main() -> None:
    team = os.environ.get("QUALCODE_TEAM_CONFIG", "")
    if team:
        app, where = build_team(team)
        app.run(config={**where, **COMMON})
        return
    token = os.environ.get("QUALCODE_TOKEN", "")
    if not token:
        sys.exit("qualcode.ui.server: QUALCODE_TOKEN is not set; start the app with `qualcode serve`.")
    address = os.environ.get("QUALCODE_ADDRESS", "127.0.0.1")
    port = int(os.environ.get("QUALCODE_PORT", "8501"))
    extra = [h for h in os.environ.get("QUALCODE_ALLOWED_HOSTS", "").split(",") if h.strip()]
    build(token, address, extra).run(config={"server.address": address, "server.port": port, **COMMON})


if __name__ == "__main__":
    main()
