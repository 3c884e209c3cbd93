"""The team server's settings file (TOML), read and checked before anything starts.

```toml
[server]                 # where `qualcode serve --team` binds (default 127.0.0.1:8501)
address = "127.0.0.1"
port = 8501
allow_hosts = ["qualcode.example.org"]   # the redirect_uri's host is always allowed

[projects]               # exactly one of:
folder = "/srv/qualcode/projects"        # every .qcdb file in it is a project
# database = "postgresql+psycopg://qualcode@/study"   # or a list of URLs

[team]
owners = ["lead@example.org"]            # made owners of a project that has none yet

[auth]                   # Streamlit's own st.login settings, passed to it as they are
redirect_uri = "https://qualcode.example.org/oauth2callback"
cookie_secret = "..."
client_id = "..."
client_secret = "..."
server_metadata_url = "https://login.example.org/.well-known/openid-configuration"
```

Every mistake is a numbered error naming the section and key (E520-E524, E534), found at
start, not at the first sign-in. The secrets in [auth] are never printed: `summary()` is what
may go to a log.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from qualcode.errors import QualcodeError

# What st.login needs for its default provider (streamlit/auth_util.py validate_auth_credentials).
AUTH_KEYS = ("redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url")
SECRET_KEYS = frozenset({"cookie_secret", "client_secret"})
EXAMPLES = {
    "redirect_uri": 'redirect_uri = "https://qualcode.example.org/oauth2callback"',
    "cookie_secret": "cookie_secret = \"<python -c 'import secrets; print(secrets.token_hex(32))'>\"",
    "client_id": 'client_id = "qualcode" (as registered with the OpenID provider)',
    "client_secret": 'client_secret = "..." (from the OpenID provider)',
    "server_metadata_url": 'server_metadata_url = "https://login.example.org/.well-known/openid-configuration"',
    "owners": 'owners = ["lead@example.org"]',
}
MIN_COOKIE_SECRET = 32  # characters; Streamlit itself only warns below 14 bytes
PROJECT_SUFFIX = ".qcdb"


@dataclass(frozen=True)
class TeamConfig:
    """A checked team settings file. `auth` is Streamlit's [auth] section, secrets included."""

    path: Path
    address: str = "127.0.0.1"
    port: int = 8501
    allow_hosts: tuple[str, ...] = ()
    folder: Path | None = None
    databases: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    auth: dict[str, Any] = field(default_factory=dict, repr=False)

    def projects(self) -> list[str]:
        """The projects this server serves: the configured databases, then the folder's .qcdb files."""
        found = list(self.databases)
        if self.folder is not None and self.folder.is_dir():
            found += [str(p) for p in sorted(self.folder.glob(f"*{PROJECT_SUFFIX}")) if p.is_file()]
        return found

    def public_host(self) -> str:
        """The host name users reach the server by (from redirect_uri)."""
        return (urlsplit(self.auth["redirect_uri"]).hostname or "").lower()

    def hosts(self) -> tuple[str, ...]:
        """Host names the server answers to besides this machine's own."""
        names = [*self.allow_hosts, self.public_host()]
        return tuple(dict.fromkeys(n for n in names if n))

    def streamlit_secrets(self) -> dict[str, Any]:
        """What `st.App(secrets=...)` gets: the [auth] section, as Streamlit reads it from secrets.toml."""
        return {"auth": dict(self.auth)}

    def summary(self) -> str:
        """One line for the log, with no secret in it."""
        where = f"folder {self.folder}" if self.folder else f"{len(self.databases)} database(s)"
        issuer = urlsplit(self.auth["server_metadata_url"]).netloc
        return (f"team mode: projects from {where}; sign-in through {issuer} (client {self.auth['client_id']}); "
                f"owners {', '.join(self.owners)}")


def _fail_missing(path: Path, section: str, key: str, why: str = "") -> QualcodeError:
    return QualcodeError("E522", path=path, section=section, key=key, why=why,
                         example=EXAMPLES.get(key, f'{key} = "..."'))


def _section(path: Path, data: dict[str, Any], name: str, required: bool) -> dict[str, Any]:
    value = data.get(name)
    if value is None:
        if required:
            raise QualcodeError("E522", path=path, section=name, key="(the whole section)",
                                why="", example=f"[{name}] with its keys")
        return {}
    if not isinstance(value, dict):
        raise QualcodeError("E523", path=path, section=name, key="", value=value,
                            expected=f"[{name}] must be a table of keys")
    return value


def _text(path: Path, section: str, table: dict[str, Any], key: str) -> str:
    if key not in table:
        raise _fail_missing(path, section, key)
    value = table[key]
    if not isinstance(value, str):
        raise QualcodeError("E523", path=path, section=section, key=key,
                            value="<hidden>" if key in SECRET_KEYS else value, expected="it must be a text in quotes")
    if not value.strip():
        raise _fail_missing(path, section, key, why=" (it is empty)")
    return value.strip()


def _url(path: Path, section: str, key: str, value: str, suffix: str = "") -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise QualcodeError("E523", path=path, section=section, key=key, value=value,
                            expected="an http:// or https:// address")
    if suffix and not parts.path.endswith(suffix):
        raise QualcodeError("E523", path=path, section=section, key=key, value=value,
                            expected=f"Streamlit's sign-in answers at the path {suffix}, so it must end with it "
                                     f"(e.g. https://qualcode.example.org{suffix})")


def _auth(path: Path, data: dict[str, Any]) -> dict[str, Any]:
    table = _section(path, data, "auth", required=True)
    checked = {key: _text(path, "auth", table, key) for key in AUTH_KEYS}
    _url(path, "auth", "redirect_uri", checked["redirect_uri"], suffix="/oauth2callback")
    _url(path, "auth", "server_metadata_url", checked["server_metadata_url"])
    if len(checked["cookie_secret"]) < MIN_COOKIE_SECRET:
        raise QualcodeError("E523", path=path, section="auth", key="cookie_secret", value="<hidden>",
                            expected=f"it signs the sign-in cookie, so it must be at least {MIN_COOKIE_SECRET} "
                                     "random characters: python -c 'import secrets; print(secrets.token_hex(32))'")
    # Streamlit's other [auth] keys (client_kwargs, expose_tokens, ...) go through untouched.
    return {**table, **checked}


def _server(path: Path, data: dict[str, Any]) -> tuple[str, int, tuple[str, ...]]:
    table = _section(path, data, "server", required=False)
    address = table.get("address", "127.0.0.1")
    if not isinstance(address, str) or not address.strip():
        raise QualcodeError("E523", path=path, section="server", key="address", value=address,
                            expected="an address to bind, e.g. \"127.0.0.1\" (behind a proxy) or \"0.0.0.0\"")
    port = table.get("port", 8501)
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        raise QualcodeError("E523", path=path, section="server", key="port", value=port,
                            expected="a whole number from 1 to 65535")
    hosts = table.get("allow_hosts", [])
    if not isinstance(hosts, list) or not all(isinstance(h, str) and h.strip() for h in hosts):
        raise QualcodeError("E523", path=path, section="server", key="allow_hosts", value=hosts,
                            expected='a list of host names, e.g. ["qualcode.example.org"]')
    return address.strip(), port, tuple(h.strip().lower() for h in hosts)


def _projects(path: Path, data: dict[str, Any]) -> tuple[Path | None, tuple[str, ...]]:
    table = _section(path, data, "projects", required=True)
    named = [k for k in ("folder", "database") if k in table]
    if len(named) != 1:
        raise QualcodeError("E524", path=path, found=" and ".join(named) if named else "neither")
    if "folder" in named:
        value = table["folder"]
        if not isinstance(value, str) or not value.strip():
            raise QualcodeError("E523", path=path, section="projects", key="folder", value=value,
                                expected="the path of a folder, in quotes")
        folder = (path.parent / Path(value).expanduser()).resolve()
        if not folder.is_dir():
            raise QualcodeError("E523", path=path, section="projects", key="folder", value=value,
                                expected=f"an existing folder (it resolves to {folder}, which is not one)")
        if not any(folder.glob(f"*{PROJECT_SUFFIX}")):
            raise QualcodeError("E534", path=path, folder=str(folder))
        return folder, ()
    value = table["database"]
    urls = [value] if isinstance(value, str) else value
    if not isinstance(urls, list) or not urls or not all(isinstance(u, str) and "://" in u for u in urls):
        raise QualcodeError("E523", path=path, section="projects", key="database", value=_no_password(value),
                            expected='a database URL, e.g. "postgresql+psycopg://qualcode@/study", or a list of them')
    return None, tuple(u.strip() for u in urls)


def shown(location: str) -> str:
    """A project's location as users may see it: a database URL without its password."""
    return str(_no_password(location))


def _no_password(value: object) -> object:
    """A database URL as it may be shown: without its password."""
    if isinstance(value, str):
        return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", value)
    if isinstance(value, list):
        return [_no_password(v) for v in value]
    return value


def _owners(path: Path, data: dict[str, Any]) -> tuple[str, ...]:
    from qualcode.team.members import normal_subject

    table = _section(path, data, "team", required=True)
    if "owners" not in table:
        raise _fail_missing(path, "team", "owners", why=" (someone must be able to manage the members)")
    owners = table["owners"]
    if isinstance(owners, str):
        owners = [owners]
    if not isinstance(owners, list) or not owners:
        raise _fail_missing(path, "team", "owners", why=" (the list is empty)")
    try:
        return tuple(dict.fromkeys(normal_subject(o) for o in owners))
    except QualcodeError as exc:
        raise QualcodeError("E523", path=path, section="team", key="owners", value=owners,
                            expected=str(exc)) from None


def load(path: str | Path) -> TeamConfig:
    """Read and check the team settings file at `path`; a numbered error names what is wrong."""
    path = Path(path).expanduser()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise QualcodeError("E520", path=path, reason=exc.strerror or exc) from None
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise QualcodeError("E520", path=path, reason=f"it is not UTF-8 text ({exc.reason})") from None
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+)", str(exc))
        raise QualcodeError("E521", path=path, line=found.group(1) if found else "?",
                            reason=str(exc).split(" (at line")[0]) from None
    path = path.resolve()
    auth = _auth(path, data)
    address, port, hosts = _server(path, data)
    folder, databases = _projects(path, data)
    return TeamConfig(path=path, address=address, port=port, allow_hosts=hosts, folder=folder,
                      databases=databases, owners=_owners(path, data), auth=auth)
