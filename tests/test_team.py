"""Team mode (issue 16, points 2 and 4): the settings file, roles, members, and the pages' role
checks through Streamlit's AppTest on a real SQLite project in a team folder. `AppTest.user` plays
the identity `st.login` would set (the real sign-in, in Chromium against a real OpenID provider,
is tests/e2e/test_signin.py)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from qualcode import Project
from qualcode.cli import cli
from qualcode.errors import QualcodeError
from qualcode.store.schema import audit_log
from qualcode.team import config as team_config
from qualcode.team import members, roles

ROOT = Path(__file__).resolve().parent.parent
SECRET = "c" * 40
CLIENT_SECRET = "s3cr3t-client-value"
LEAD, CODER, VIEWER = "lead@example.org", "coder@example.org", "viewer@example.org"


def write_config(folder: Path, *, drop: str | None = None, extra: str = "", projects: str | None = None) -> Path:
    auth = {"redirect_uri": "https://qualcode.example.org/oauth2callback", "cookie_secret": SECRET,
            "client_id": "qualcode", "client_secret": CLIENT_SECRET,
            "server_metadata_url": "https://login.example.org/.well-known/openid-configuration"}
    lines = ["[server]", 'address = "127.0.0.1"', "port = 8765", "",
             "[projects]", projects if projects is not None else f'folder = "{folder}"', "",
             "[team]", f'owners = ["{LEAD.upper()}"]', "", "[auth]"]
    lines += [f'{k} = "{v}"' for k, v in auth.items() if k != drop]
    path = folder / "team.toml"
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


@pytest.fixture
def team_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "projects"
    folder.mkdir()
    Project.create(folder / "study.qcdb").close()
    return folder


# --- the settings file ------------------------------------------------------------------------------

def test_config_reads_a_whole_file(team_folder: Path) -> None:
    cfg = team_config.load(write_config(team_folder, extra='client_kwargs = { prompt = "login" }\n'))
    assert (cfg.address, cfg.port, cfg.folder) == ("127.0.0.1", 8765, team_folder.resolve())
    assert cfg.owners == (LEAD,)  # lower-cased: identities compare as the provider sends them
    assert cfg.projects() == [str(team_folder.resolve() / "study.qcdb")]
    assert cfg.hosts() == ("qualcode.example.org",)
    secrets = cfg.streamlit_secrets()["auth"]
    assert secrets["client_secret"] == CLIENT_SECRET and secrets["client_kwargs"] == {"prompt": "login"}
    summary = cfg.summary() + repr(cfg)
    assert SECRET not in summary and CLIENT_SECRET not in summary and "login.example.org" in summary


@pytest.mark.parametrize("key", team_config.AUTH_KEYS)
def test_config_names_the_missing_auth_key(team_folder: Path, key: str) -> None:
    with pytest.raises(QualcodeError) as err:
        team_config.load(write_config(team_folder, drop=key))
    assert err.value.code == "E522" and f"[auth] {key} is missing" in str(err.value)
    assert SECRET not in str(err.value) and CLIENT_SECRET not in str(err.value)


@pytest.mark.parametrize(("text", "code", "named"), [
    ('[projects]\nfolder = "."\n[team]\nowners = ["a@b.org"]\n', "E522", "[auth] (the whole section)"),
    ("[auth\nx = 1\n", "E521", "line 1"),
    ('[auth]\nredirect_uri = ""\n', "E522", "[auth] redirect_uri is missing (it is empty)"),
])
def test_config_incomplete_or_broken(tmp_path: Path, text: str, code: str, named: str) -> None:
    path = tmp_path / "team.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(QualcodeError) as err:
        team_config.load(path)
    assert err.value.code == code and named in str(err.value)


def test_config_bad_values(team_folder: Path) -> None:
    path = write_config(team_folder)
    bad = path.read_text().replace("/oauth2callback", "/callback")
    path.write_text(bad)
    with pytest.raises(QualcodeError, match=r"E523.*redirect_uri.*/oauth2callback"):
        team_config.load(path)
    path.write_text(bad.replace("/callback", "/oauth2callback").replace(SECRET, "short"))
    with pytest.raises(QualcodeError, match=r"E523.*cookie_secret = '<hidden>'") as err:
        team_config.load(path)
    assert "short" not in str(err.value)
    both = f'folder = "{team_folder}"\ndatabase = "postgresql+psycopg://u:pw@/db"'
    with pytest.raises(QualcodeError, match=r"E524.*folder and database"):
        team_config.load(write_config(team_folder, projects=both))
    cfg = team_config.load(write_config(team_folder, projects='database = ["postgresql+psycopg://u:pw@db/s"]'))
    assert cfg.projects() == ["postgresql+psycopg://u:pw@db/s"]
    assert team_config.shown(cfg.projects()[0]) == "postgresql+psycopg://u:***@db/s"  # what pages show
    path = write_config(team_folder)
    path.write_text(path.read_text().replace(f'owners = ["{LEAD.upper()}"]', ""))
    with pytest.raises(QualcodeError, match=r"E522.*\[team\] owners is missing"):
        team_config.load(path)


def test_serve_team_refuses_an_incomplete_config_before_starting(team_folder: Path) -> None:
    result = CliRunner().invoke(cli, ["serve", "--team", str(write_config(team_folder, drop="client_id"))])
    assert result.exit_code == 1 and "E522" in result.output and "[auth] client_id is missing" in result.output
    assert CLIENT_SECRET not in result.output and SECRET not in result.output


# --- roles and members ------------------------------------------------------------------------------

def test_roles_nest_and_require_refuses_with_the_needed_role() -> None:
    assert [a for a in roles.ACTIONS if roles.allowed("viewer", a)] == ["read", "retrieve", "analyse", "export"]
    assert roles.allowed("coder", "code") and roles.allowed("coder", "memo") and roles.allowed("coder", "review")
    assert not roles.allowed("coder", "codebook") and not roles.allowed("coder", "members")
    assert all(roles.allowed("owner", a) for a in roles.ACTIONS)
    with pytest.raises(QualcodeError, match=r"E526.*code needs the role coder.*v@x is viewer"):
        roles.require("viewer", "code", subject="v@x", project="p")
    with pytest.raises(QualcodeError, match="E525"):
        roles.require(None, "read", subject="n@x", project="p")
    with pytest.raises(QualcodeError, match="E528"):
        roles.allowed("owner", "launch")


def test_identity_prefers_a_verified_email() -> None:
    assert members.identity({"email": "Ann@Example.org", "sub": "42", "name": "Ann"}) == ("ann@example.org", "Ann")
    assert members.identity({"email": "ann@example.org", "email_verified": False, "sub": "42"}) == ("42", "42")
    with pytest.raises(QualcodeError, match="E532"):
        members.identity({"name": "nobody"})


def test_members_seed_change_remove_and_audit(db_project: Project) -> None:
    """On SQLite and PostgreSQL (the `db` fixture of tests/conftest.py)."""
    with db_project as project:
        engine = project.engine
        assert members.seed_owners(engine, [LEAD]) == [LEAD]
        assert members.seed_owners(engine, ["other@example.org"]) == []  # it has an owner: left alone
        assert members.set_member(engine, CODER, "coder", actor=LEAD) == "added"
        assert members.set_member(engine, CODER, "viewer", actor=LEAD) == "changed"
        with pytest.raises(QualcodeError, match=r"E529.*last owner"):
            members.set_member(engine, LEAD, "coder", actor=LEAD)
        with pytest.raises(QualcodeError, match="E529"):
            members.remove_member(engine, LEAD, actor=LEAD)
        with pytest.raises(QualcodeError, match="E530"):
            members.remove_member(engine, "ghost@example.org", actor=LEAD)
        with pytest.raises(QualcodeError, match="E527"):
            members.set_member(engine, CODER, "admin", actor=LEAD)
        members.remove_member(engine, CODER, actor=LEAD)
        assert members.role_of(engine, CODER) is None
        assert [(m["subject"], m["role"]) for m in members.listing(engine)] == [(LEAD, "owner")]
        with engine.connect() as conn:
            log = conn.execute(select(audit_log.c.actor, audit_log.c.action, audit_log.c.target)
                               .order_by(audit_log.c.id)).all()
    assert [tuple(r) for r in log] == [("config", "member.add", LEAD), (LEAD, "member.add", CODER),
                                       (LEAD, "member.role", CODER), (LEAD, "member.remove", CODER)]


# --- the pages, through AppTest ---------------------------------------------------------------------

@pytest.fixture
def coded_team(coded_sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A team folder with a copy of the auto-coded sample, its owner, a coder and a viewer."""
    folder = tmp_path / "team"
    folder.mkdir()
    shutil.copy(coded_sample, folder / "study.qcdb")
    with Project.open(folder / "study.qcdb") as project:
        members.seed_owners(project.engine, [LEAD])
        members.set_member(project.engine, CODER, "coder", actor=LEAD)
        members.set_member(project.engine, VIEWER, "viewer", actor=LEAD)
    monkeypatch.setenv("QUALCODE_TEAM_CONFIG", str(write_config(folder)))
    monkeypatch.setenv("QUALCODE_PROJECT", "")
    monkeypatch.chdir(ROOT)
    return folder / "study.qcdb"


def app_as(user: str | None) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.user = {"email": user, "name": user, "is_logged_in": True} if user else {}
    return app.run()


def texts(app: AppTest) -> str:
    """What the page says, as read (the pages escape user text for Markdown: "\\@" reads "@")."""
    shown = " ".join(e.value for kind in (app.error, app.warning, app.success, app.markdown) for e in kind)
    return re.sub(r"\\(.)", r"\1", shown)


def test_signed_out_sees_only_the_sign_in_page(coded_team: Path) -> None:
    app = app_as(None)
    assert not app.exception, app.exception
    assert app.button(key="team_sign_in").label == "Sign in"
    assert [t.value for t in app.title] == ["qualcode"] and not app.dataframe


def test_user_without_a_role_gets_a_clear_page(coded_team: Path) -> None:
    app = app_as("stranger@example.org")
    assert not app.exception, app.exception
    assert "E525" in texts(app) and "stranger@example.org" in texts(app) and LEAD in texts(app)
    assert not app.dataframe and not app.data_editor  # nothing of the project is shown


def review_ticked(app: AppTest) -> None:
    app.switch_page("qualcode/ui/views/review.py").run()
    app.session_state["review_table_0"] = {"edited_rows": {0: {"pick": True}}, "added_rows": [],
                                           "deleted_rows": []}
    app.button(key="review_accept").click().run()
    assert not app.exception, app.exception


def accepted(location: Path) -> int:
    with Project.open(location) as project:
        return len(project.codings(status="accepted"))


def test_viewer_is_refused_and_coder_reviews_as_themselves_whatever_the_session_says(coded_team: Path) -> None:
    before = accepted(coded_team)
    app = app_as(VIEWER)
    assert not app.sidebar.text_input  # no Coder field to type a name into
    review_ticked(app)
    assert "E526" in texts(app) and "review needs the role coder" in texts(app)
    assert accepted(coded_team) == before

    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    app.user = {"email": CODER, "name": "Cody", "is_logged_in": True}
    app.query_params["coder"] = "mallory"
    app.run()
    app.session_state["coder"] = "mallory"  # a forged name in the session
    review_ticked(app)
    assert accepted(coded_team) == before + 1
    with Project.open(coded_team) as project:
        assert CODER in project.coders() and "mallory" not in project.coders()
        named = {m["subject"]: m["display_name"] for m in members.listing(project.engine)}
    assert named[CODER] == "Cody"  # the provider's name, kept at sign-in for the Members page


def test_removed_member_is_refused_at_the_next_action(coded_team: Path) -> None:
    before = accepted(coded_team)
    app = app_as(CODER)
    app.switch_page("qualcode/ui/views/review.py").run()
    with Project.open(coded_team) as project:  # an owner removes them while their page is open
        members.remove_member(project.engine, CODER, actor=LEAD)
    app.session_state["review_table_0"] = {"edited_rows": {0: {"pick": True}}, "added_rows": [],
                                           "deleted_rows": []}
    app.button(key="review_accept").click().run()
    assert not app.exception, app.exception
    assert "E525" in texts(app) and accepted(coded_team) == before


def test_members_page_for_owners_only(coded_team: Path) -> None:
    app = app_as(CODER)
    app.switch_page("qualcode/ui/views/members.py").run()
    assert not app.exception, app.exception
    assert "E526" in texts(app) and not app.dataframe

    app = app_as(LEAD)
    app.switch_page("qualcode/ui/views/members.py").run()
    assert not app.exception, app.exception
    app.text_input(key="members_new_subject").input("New@Example.org")
    app.selectbox(key="members_new_role").set_value("viewer")
    app.button(key="members_add_button").click().run()
    assert not app.exception, app.exception
    assert "Added new@example.org as viewer" in texts(app)
    with Project.open(coded_team) as project:
        assert members.role_of(project.engine, "new@example.org") == "viewer"


def test_team_mode_opens_no_typed_project_path(coded_team: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.qcdb"
    Project.create(outside).close()
    app = app_as(LEAD)
    app.session_state["project_location"] = str(outside)
    app.run()
    assert not app.exception, app.exception
    assert "E533" in texts(app)
    app.switch_page("qualcode/ui/views/project.py").run()  # refused once; then the team's project
    assert not app.exception, app.exception
    assert app.session_state["project_location"] == str(coded_team.resolve())
    assert not [t for t in app.text_input if t.key in ("project_open_path", "project_new_path")]


def test_coder_cannot_edit_the_codebook_and_owner_can(coded_team: Path) -> None:
    def rename_as(user: str, name: str) -> AppTest:
        app = app_as(user)
        app.switch_page("qualcode/ui/views/codebook.py").run()
        app.selectbox(key="codebook_code").set_value("push.unemployment").run()
        app.text_input(key="codebook_name_push.unemployment").input(name)
        app.button(key="codebook_rename").click().run()
        assert not app.exception, app.exception
        return app

    def name() -> str:
        with Project.open(coded_team) as project:
            return project.codes().set_index("code").loc["push.unemployment", "name"]

    before = name()
    assert "E526" in texts(rename_as(CODER, "Renamed by a coder")) and name() == before
    rename_as(LEAD, "No work at home")
    assert name() == "No work at home"


def test_the_settings_owners_become_owners_of_a_project_without_one(team_folder: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUALCODE_TEAM_CONFIG", str(write_config(team_folder)))
    monkeypatch.setenv("QUALCODE_PROJECT", "")
    monkeypatch.chdir(ROOT)
    app = app_as(LEAD)
    assert not app.exception, app.exception
    assert "Role: owner" in texts(app).replace("**", "")
    with Project.open(team_folder / "study.qcdb") as project:
        assert members.role_of(project.engine, LEAD) == "owner"
        with project.engine.connect() as conn:
            assert conn.execute(select(audit_log.c.actor, audit_log.c.action)).all() == [("config", "member.add")]
