"""The door of `qualcode serve`: an ASGI middleware in front of every Streamlit route.

Two checks, on every HTTP request and WebSocket handshake (page, scripts, the app's
WebSocket, uploads, media):

- **Host** (and Origin, when the browser sends one) must name this machine: localhost,
  127.0.0.1, [::1], the bound address, or a name given with `--allow-host`. A page on a
  foreign name that was re-pointed at 127.0.0.1 (DNS rebinding) sends its own name as Host
  and is refused.
- **Token**: the URL that `qualcode serve` prints carries `?token=…` (a random
  `secrets.token_urlsafe`, as Jupyter does). The first request with the right token gets an
  HttpOnly cookie and is redirected to the same address without the token; from then on the
  cookie opens every page. A request with neither gets only a refusal page.

Why a cookie set by a middleware, and not a check inside the Streamlit script: the token
must survive page changes and reloads, and Streamlit drops query parameters when
`st.navigation` changes page; a script can read cookies (`st.context.cookies`) but cannot set
one. A check in the script would also come after Streamlit has served its scripts and opened
the WebSocket. `st.App(..., middleware=[...])` (Streamlit's ASGI entry point) runs this class
before any Streamlit route, so a session without the token never reaches the app at all.

This module imports no Streamlit: it is plain ASGI and can be tested without a server.
"""

from __future__ import annotations

import html
import ipaddress
import secrets
import socket
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from qualcode.errors import QualcodeError

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

LOCAL_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARDS = frozenset({"0.0.0.0", "::", ""})
TOKEN_PARAM = "token"
# Liveness only ("ok"): open without the token so scripts and tests can wait for the server.
OPEN_PATHS = ("/_stcore/health",)


def cookie_name(port: int) -> str:
    """One cookie per port: cookies ignore ports, and two servers on one machine must not clash."""
    return f"qualcode_token_{port}"


def new_token() -> str:
    return secrets.token_urlsafe(24)


def hostname(value: str) -> str | None:
    """The host part of a Host header or an Origin ("127.0.0.1:8501", "[::1]:80", "http://x:1")."""
    value = value.strip()
    if not value:
        return None
    try:
        name = urlsplit(value if "//" in value else "//" + value).hostname
    except ValueError:
        return None
    return name.rstrip(".").lower() if name else None


class HostRule:
    """Which Host names reach the app. IP literals cannot be re-pointed by DNS, so when the server
    listens on every interface any IP address is accepted, and names only if they are this
    machine's or were allowed by the user."""

    def __init__(self, address: str, extra: Iterable[str] = ()) -> None:
        address = address.strip().strip("[]").lower()
        self.wildcard = address in WILDCARDS
        names = set(LOCAL_NAMES) | {n.strip().lower() for n in extra if n.strip()}
        if not self.wildcard:
            names.add(address)
        else:
            names |= {socket.gethostname().lower(), socket.getfqdn().lower()}
        self.names = frozenset(names)

    def allows(self, name: str | None) -> bool:
        if name is None:
            return False
        if name in self.names:
            return True
        if self.wildcard:
            try:
                ipaddress.ip_address(name)
            except ValueError:
                return False
            return True
        return False


class Gate:
    """ASGI middleware: Host/Origin check, then the token (query parameter once, cookie after)."""

    def __init__(self, app: Callable[..., Awaitable[None]], *, token: str, hosts: HostRule) -> None:
        if not token:
            raise ValueError("the gate needs a token")
        self.app = app
        self.token = token
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)  # lifespan
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        if not self.hosts.allows(hostname(host)):
            await self._refuse(scope, send, QualcodeError("E978", host=host or "(none)",
                                                          allowed=", ".join(sorted(self.hosts.names))))
            return
        origin = headers.get("origin")
        if origin and origin != "null" and not self.hosts.allows(hostname(origin)):
            await self._refuse(scope, send, QualcodeError("E978", host=origin,
                                                          allowed=", ".join(sorted(self.hosts.names))))
            return
        path = scope.get("path", "")
        if any(path.endswith(p) for p in OPEN_PATHS):
            await self.app(scope, receive, send)
            return
        port = (scope.get("server") or ("", 0))[1] or 0
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        given = [v for k, v in query if k == TOKEN_PARAM]
        if scope["type"] == "http" and any(secrets.compare_digest(v.encode(), self.token.encode()) for v in given):
            rest = urlencode([(k, v) for k, v in query if k != TOKEN_PARAM])
            target = (scope.get("root_path", "") + path or "/") + (f"?{rest}" if rest else "")
            await self._redirect(send, target, cookie_name(port))
            return
        if self._cookie_ok(headers.get("cookie", ""), cookie_name(port)):
            await self.app(scope, receive, send)
            return
        await self._refuse(scope, send, QualcodeError("E977"))

    def _cookie_ok(self, header: str, name: str) -> bool:
        try:
            jar = SimpleCookie(header)
        except CookieError:
            return False
        morsel = jar.get(name)
        return morsel is not None and secrets.compare_digest(morsel.value.encode(), self.token.encode())

    async def _redirect(self, send: Send, location: str, name: str) -> None:
        # HttpOnly: no script reads it. SameSite=Lax: a link from elsewhere still opens the app,
        # but another site's WebSocket or form does not carry it (and fails the Origin check anyway).
        cookie = f"{name}={self.token}; Path=/; HttpOnly; SameSite=Lax"
        await send({"type": "http.response.start", "status": 302,
                    "headers": [(b"location", location.encode("latin-1")), (b"set-cookie", cookie.encode()),
                                (b"cache-control", b"no-store"), (b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})

    @staticmethod
    async def _refuse(scope: Scope, send: Send, error: QualcodeError) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})  # before accept: the handshake gets a 403
            return
        body = REFUSAL.format(message=html.escape(str(error))).encode("utf-8")
        await send({"type": "http.response.start", "status": 403,
                    "headers": [(b"content-type", b"text/html; charset=utf-8"), (b"cache-control", b"no-store"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class HostCheck:
    """ASGI middleware of the team server (`qualcode serve --team`): the Host and Origin checks of
    `Gate`, without the token, since there everyone signs in (st.login) and the page checks the role.
    The hosts are this machine's, the redirect_uri's and the settings' allow_hosts."""

    def __init__(self, app: Callable[..., Awaitable[None]], *, hosts: HostRule) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
            for value in (headers.get("host", ""), headers.get("origin")):
                if value is None or value == "null":
                    continue
                if not self.hosts.allows(hostname(value)):
                    await Gate._refuse(scope, send, QualcodeError("E978", host=value or "(none)",
                                                                  allowed=", ".join(sorted(self.hosts.names))))
                    return
        await self.app(scope, receive, send)


REFUSAL = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>qualcode: not allowed</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto">
<h1>qualcode: not allowed</h1>
<p id="qualcode-refusal">{message}</p>
</body></html>
"""
