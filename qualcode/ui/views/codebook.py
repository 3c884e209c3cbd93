"""Codebook page: the project's code tree (add, rename, move, merge, describe, colour, delete
with confirmation and undo), and a codebook file's rules: edit the YAML (checked before it is
saved), try the rules on a text, and test one code's rules on the whole corpus.

Two owners may edit at once: every edit carries the codebook version this page showed, and an
edit made on a stale page is refused with E550 (who changed what, and when), never written over
the other's; saving a YAML file that someone saved meanwhile is refused the same way (E554)."""

import json
from pathlib import Path

import pandas as pd
import streamlit as st

from qualcode import codes as code_ops
from qualcode import conflicts, retrieval, safe_regex
from qualcode.access import folder_of, save_text
from qualcode.codebook import Codebook, loads
from qualcode.errors import CodebookError, QualcodeError
from qualcode.sample import data_dir
from qualcode.ui import state, team

CODEBOOKS = Path(__file__).resolve().parents[3] / "codebooks"
TOP = "(top level)"

project = state.project()
st.title("Codebook")
st.caption("Codes from a codebook file come back with its next rule run: to drop one for good, remove it from "
           "the file too (Rules tab). Renaming changes the name; the id, which codings point at, stays.")


@st.cache_resource(max_entries=8, show_spinner="Checking the codebook…")
def check(text: str, path: str) -> tuple[Codebook | None, list[QualcodeError]]:
    """The codebook in the text area, or every problem it has (each with its line)."""
    try:
        return loads(text, path), []
    except CodebookError as exc:
        return None, exc.problems or [exc]


def who(code: str | None = None) -> dict[str, str | None]:
    """Who edits (for the audit log) and the codebook version this page showed (for the
    check): read in a button's callback, so it is the version of the page the click was on.
    An edit of one code's fields carries the version its fields were drawn from (`basis`)."""
    version = st.session_state.get("codebook_version")
    if code is not None:
        version = st.session_state.get("codebook_basis", {}).get(code, version)
    return {"actor": state.coder() or None, "version": version}


def basis(code: str, stored: dict[str, str], version: str) -> None:
    """Fill the code's fields from the store, unless the person has typed in them.

    Streamlit keeps a keyed widget's value when the code changes under it, so another owner's
    change would not show, and saving the stale text would write over it. So: fields nobody
    touched follow the store; fields typed into while someone else changed this code keep the
    person's text, and their edit carries the version they started from, which E550 refuses."""
    seeds = st.session_state.setdefault("codebook_seeds", {})
    keys = {field: f"codebook_{field}_{code}" for field in stored}
    seed = seeds.setdefault(code, {"fields": dict(stored), "version": version})
    # Typed into: differs from what was filled in, and from what is stored (a saved edit is not).
    typed = {f for f, k in keys.items() if st.session_state.get(k, seed["fields"][f]) not in
             (seed["fields"][f], stored[f])}
    if st.session_state.pop("codebook_refill", False):  # after a refusal: show what is stored
        typed = set()
    if all(seed["fields"][f] == stored[f] for f in typed):  # nobody else changed what was typed into
        for field, key in keys.items():
            if field not in typed:
                st.session_state[key] = seed["fields"][field] = stored[field]
        seed["version"] = version
    else:
        st.warning(retrieval.markdown_lines(
            f"Someone else changed '{code}' while you were editing it: saving your edit will be refused "
            "(E550) and the page will then show their change."))
    st.session_state.setdefault("codebook_basis", {})[code] = seed["version"]


def stale() -> None:
    """After a refusal (E550) every field is filled from the store again: what is shown is what is stored."""
    st.session_state.pop("codebook_seeds", None)
    st.session_state.pop("codebook_basis", None)
    st.session_state["codebook_refill"] = True


def flash(kind: str, message: str) -> None:
    st.session_state["codebook_flash"] = (kind, message)


def act(action, done: str, select: str | None = None) -> None:
    """Run an edit from a button; say what happened (or the numbered error) on the next run."""
    try:
        team.require(project, "codebook")  # the role, read now, before any write
        result = action()
    except QualcodeError as exc:
        flash("error", str(exc))
        if exc.code == "E550":
            stale()
        return
    flash("success", str(result) if result is not None and not isinstance(result, int) else done)
    if select is not None:
        st.session_state["codebook_code"] = select


def delete(code: str, parent: str | None) -> None:
    checked = st.session_state.get(f"codebook_confirm_{code}", False)
    try:
        team.require(project, "delete")
        snapshot = project.delete_code(code, confirm=checked, with_children=checked, **who(code))
    except QualcodeError as exc:
        flash("warning" if exc.code in ("E744", "E745") else "error", str(exc))
        if exc.code == "E550":
            stale()
        return
    st.session_state.setdefault("codebook_undo", []).append(snapshot)
    flash("success", f"{snapshot} Undo puts it all back.")
    if parent:
        st.session_state["codebook_code"] = parent
    else:
        st.session_state.pop("codebook_code", None)


def undo() -> None:
    snapshot = st.session_state["codebook_undo"][-1]
    try:
        team.require(project, "codebook")
        project.restore_code(snapshot, **who())
    except QualcodeError as exc:
        flash("error", str(exc))
        if exc.code == "E550":
            stale()
        return
    st.session_state["codebook_undo"].pop()
    flash("success", f"Restored '{snapshot.code}' with {snapshot.n_codings} coding(s).")
    st.session_state["codebook_code"] = snapshot.code


message = st.session_state.pop("codebook_flash", None)
if message:
    getattr(st, message[0])(retrieval.markdown_lines(message[1]))
if st.session_state.get("codebook_undo"):
    left, right = st.columns([5, 1])
    left.info(retrieval.markdown_lines(str(st.session_state["codebook_undo"][-1])))
    right.button("Undo delete", key="codebook_undo_button", on_click=undo, icon=":material/undo:")

shipped = sorted(str(p) for p in CODEBOOKS.glob("*.yaml")) if CODEBOOKS.exists() else []
# The version first, then the codes: an edit landing in between makes this page look stale (a
# refusal to retry), never lets it overwrite what it did not show.
st.session_state["codebook_version"] = project.codebook_version()
codes = project.codes()
codings = project.codings()
per_code = codings.groupby("code").size() if len(codings) else pd.Series(dtype=int)
tree_tab, add_tab, rules_tab = st.tabs(["Code tree", "Add a code", "Rules"])

with tree_tab:
    if codes.empty:
        st.info("No codes yet. Add one (next tab), or take the codes of a codebook file.")
        book_path = st.selectbox("Codebook", shipped, key="codebook_load_file", format_func=lambda p: Path(p).name)
        st.button("Take its codes (codes nothing)", key="codebook_load", disabled=not book_path,
                  on_click=lambda: act(lambda: project.load_codes(book_path, **who()),
                                       f"Codes taken from {book_path}."))
    else:
        ordered = code_ops.tree(codes)
        depth = dict(zip(ordered["code"], ordered["depth"], strict=True))
        names = dict(zip(ordered["code"], ordered["name"], strict=True))
        shown = pd.DataFrame({
            "code": ["\u2003" * d + c for c, d in zip(ordered["code"], ordered["depth"], strict=True)],
            "name": ordered["name"], "codings": [int(per_code.get(c, 0)) for c in ordered["code"]],
            "description": ordered["description"], "color": ordered["color"]})
        st.dataframe(shown, hide_index=True, width="stretch", key="codebook_tree",
                     column_config={"description": st.column_config.TextColumn(width="large")}, placeholder="—")
        if st.session_state.get("codebook_code") not in depth:  # deleted or merged meanwhile
            st.session_state.pop("codebook_code", None)
        code = st.selectbox("Code to edit", list(ordered["code"]), key="codebook_code",
                            format_func=lambda c: f"{c} — {names[c]}")  # in tree order; no "· " before the id
        row = ordered.set_index("code").loc[code]
        inside = {code, *code_ops.descendants(codes, code)}
        n_codings = int(sum(per_code.get(c, 0) for c in inside))
        parents = [TOP] + [c for c in ordered["code"] if c not in inside]
        current = row["parent"] if row["parent"] in parents else TOP
        text = {f: row[f] if isinstance(row[f], str) else "" for f in ("name", "description", "color")}  # not NaN
        basis(code, {"name": text["name"], "parent": current, "description": text["description"],
                     "color": text["color"] or "#888888"}, st.session_state["codebook_version"])

        a, b = st.columns(2)
        a.text_input("Name", key=f"codebook_name_{code}")
        a.button("Rename", key="codebook_rename", on_click=lambda: act(
            lambda: project.rename_code(code, st.session_state[f"codebook_name_{code}"], **who(code)),
            f"Renamed '{code}'."))
        b.selectbox("Parent", parents, key=f"codebook_parent_{code}")
        b.button("Move", key="codebook_move", on_click=lambda: act(
            lambda: project.move_code(code, None if (p := st.session_state[f"codebook_parent_{code}"]) == TOP else p,
                                      **who(code)), f"Moved '{code}'."))

        st.text_area("Description", key=f"codebook_description_{code}")
        st.color_picker("Colour", key=f"codebook_color_{code}")
        st.button("Save description and colour", key="codebook_describe", on_click=lambda: act(
            lambda: project.set_code(code, description=st.session_state[f"codebook_description_{code}"],
                                     color=st.session_state[f"codebook_color_{code}"], **who(code)),
            f"Saved '{code}'."))

        c, d = st.columns(2)
        others = [x for x in ordered["code"] if x != code]
        c.selectbox("Merge into", others, key=f"codebook_merge_{code}",
                    help="Its codings, review decisions and sub-codes go to that code; this code is deleted.")
        c.button("Merge", key="codebook_merge", disabled=not others, on_click=lambda: act(
            lambda: project.merge_codes(code, st.session_state[f"codebook_merge_{code}"], **who(code)), "Merged.",
            select=st.session_state.get(f"codebook_merge_{code}")))
        if n_codings or len(inside) > 1:
            subs = f", its {len(inside) - 1} sub-code(s)" if len(inside) > 1 else ""
            d.checkbox(f"Yes, delete '{code}'{subs} and {n_codings} coding(s)", key=f"codebook_confirm_{code}")
        d.button("Delete", key="codebook_delete", icon=":material/delete:",
                 on_click=lambda: delete(code, row["parent"] if isinstance(row["parent"], str) else None))

with add_tab, st.form("codebook_add_form", clear_on_submit=True):
    st.text_input("Id", key="codebook_new_id", placeholder="push.debts",
                  help="A dot path of names (letters, digits, _), each starting with a letter.")
    st.text_input("Name", key="codebook_new_name", placeholder="Debts at origin")
    st.selectbox("Parent", [TOP, *codes["code"]], key="codebook_new_parent")
    st.text_area("Description", key="codebook_new_description")
    st.color_picker("Colour", value="#1f77b4", key="codebook_new_color")

    def add() -> None:
        s = st.session_state
        new = s["codebook_new_id"].strip()
        act(lambda: project.add_code(new, s["codebook_new_name"], None if s["codebook_new_parent"] == TOP
                                     else s["codebook_new_parent"], s["codebook_new_description"],
                                     s["codebook_new_color"], **who()), f"Added '{new}'.", select=new)

    st.form_submit_button("Add code", type="primary", key="codebook_add", on_click=add)

def take_upload() -> None:
    """An uploaded codebook goes into the editor, to be saved beside the open project."""
    upload = st.session_state.get("codebook_upload")
    if upload is None:
        return
    home = folder_of(project.location) or data_dir()
    target = str(home / (Path(upload.name).name or "codebook.yaml"))
    st.session_state["codebook_yaml"] = upload.getvalue().decode("utf-8-sig", errors="replace")
    st.session_state["codebook_yaml_for"] = target
    st.session_state["codebook_yaml_sha"] = conflicts.file_version(target)  # what a save may replace
    st.session_state["codebook_rules_path"] = target


folders = state.folders()
with rules_tab:
    last = project.last_codebook_path()
    last = str(Path(last).resolve()) if last else None
    choice = st.selectbox("Codebook file", shipped, index=shipped.index(last) if last in shipped else
                          (0 if shipped else None), key="codebook_rules_file",
                          format_func=lambda p: Path(p).name)
    path = st.text_input("…or the path of your own codebook (YAML)", key="codebook_rules_path").strip() or choice
    st.file_uploader("…or upload one (it is saved beside the project when you save it)", type=["yaml", "yml"],
                     key="codebook_upload", on_change=take_upload)
    st.caption("Codebooks are read and saved only in these folders: " + retrieval.markdown_text(folders.describe()))
    if not path:
        st.stop()
    if st.session_state.get("codebook_yaml_for") != path:
        try:
            real = folders.readable_file(path)  # never a file outside the app's folders
            st.session_state["codebook_yaml_sha"] = conflicts.file_version(real)  # what a save may replace
            st.session_state["codebook_yaml"] = real.read_text(encoding="utf-8-sig")
        except QualcodeError as exc:
            st.error(retrieval.markdown_lines(str(exc)))
            st.stop()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
            st.error(retrieval.markdown_lines(f"{path}: cannot read it ({reason or exc})."))
            st.stop()
        st.session_state["codebook_yaml_for"] = path
    text = st.text_area("Codebook (YAML): edit the rules here, test them below, save when they work",
                        key="codebook_yaml", height=320)
    book, problems = check(text, path)
    if problems:
        st.error(retrieval.markdown_lines(f"{len(problems)} problem(s); the codebook cannot be saved or tested "
                                         "until they are fixed:\n" + "\n".join(f"- {p}" for p in problems)))
    if st.button("Save the codebook", key="codebook_save", icon=":material/save:") \
            and team.guarded(project, "codebook"):
        if problems:
            st.error(f"Not saved: the codebook has {len(problems)} problem(s) (above).")
        else:
            try:
                # Only a .yaml/.yml file inside the app's folders, and never over a file that is
                # not a codebook; written whole or not at all.
                target = folders.codebook_target(path)
                if "codebook_yaml_sha" in st.session_state:  # someone saved it since this editor read it: E554
                    conflicts.check_file(target, st.session_state["codebook_yaml_sha"])
                save_text(target, text)
            except QualcodeError as exc:
                st.error(retrieval.markdown_lines(str(exc)))
            except OSError as exc:
                st.error(retrieval.markdown_lines(str(QualcodeError("E754", file=path,
                                                                   reason=exc.strerror or exc))))
            else:
                st.session_state["codebook_yaml_sha"] = conflicts.file_version(target)
                st.success(retrieval.markdown_lines(f"Saved {path}. Re-code the project (Auto-code page) to apply it."))
    if book is None:
        st.stop()

    with_rules = [c.id for c in book.codes if c.rules]
    if not with_rules:
        st.info("This codebook has no rules yet.")
        st.stop()
    picked = st.session_state.get("codebook_code")
    rule_code = st.selectbox("Code", with_rules, key="codebook_rules_code",
                             index=with_rules.index(picked) if picked in with_rules else 0)
    rules = book.code(rule_code).rules if rule_code else []
    st.dataframe(pd.DataFrame([{
        "rule": r.id, "lang": r.lang, "kind": r.kind,
        "pattern": r.regex if r.kind == "regex" else json.dumps(r.tokens, ensure_ascii=False)
        if r.kind == "tokens" else " | ".join(r.patterns),
        "within": r.within if r.kind == "near" else None, "unit": r.unit, "speakers": ", ".join(r.speakers),
        "negation": r.negation, "unless": ", ".join(r.unless), "note": r.note} for r in rules]),
        hide_index=True, width="stretch", key="codebook_rules", placeholder="—")
    chosen = st.multiselect("Rules to try (empty: all of this code's)", [r.id for r in rules],
                            key=f"codebook_rule_pick_{rule_code}")

    st.markdown("**Try the rules on a text**")
    a, b = st.columns([1, 1])
    lang = a.selectbox("Language", book.languages, key="codebook_try_lang")
    role = b.selectbox("Said by", ["respondent", "interviewer", "other"], key="codebook_try_role")
    sample = st.text_area("Text", key="codebook_try_text", placeholder="Работы в ауле не было, поэтому мы переехали.")
    every = st.checkbox("Show every code's rules, not only these", key="codebook_try_every")
    result = None
    if sample.strip():
        try:  # off this thread, on at most 20,000 characters, for at most 5 s: one try never holds the server
            result = safe_regex.try_rules(book, lang, sample, role)
        except QualcodeError as exc:  # E951
            st.error(retrieval.markdown_lines(str(exc)))
    if result is not None:
        fired = [m for m in result.matches if every or (m.code == rule_code and (not chosen or m.rule in chosen))]
        if not fired:
            st.info("No rule fired on this text.")
        else:
            tried = pd.DataFrame([{"code": m.code, "rule": m.rule, "words": result.text[m.start:m.end],
                                   "fate": m.dropped or "coded"} for m in fired])
            st.dataframe(tried, hide_index=True, width="stretch", key="codebook_try_matches", placeholder="—")

    st.markdown(f"**Test the rules of `{rule_code}` on the corpus** (nothing is written)")
    if st.button("Test on the corpus", key="codebook_test_corpus", disabled=not rules):
        with st.spinner("Matching…"):
            try:
                st.session_state["codebook_hits"] = (book.sha256, rule_code, chosen,
                                                     project.rule_hits(book, rule_code, rules=chosen or None))
            except QualcodeError as exc:
                st.error(retrieval.markdown_lines(str(exc)))
    stored = st.session_state.get("codebook_hits")
    if stored and stored[:3] == (book.sha256, rule_code, chosen):
        hits = stored[3]
        coded = hits[hits["fate"] == "coded"]
        st.caption(f"{len(hits)} match(es) in {hits['transcript'].nunique()} transcript(s): {len(coded)} would code, "
                   f"{len(hits) - len(coded)} dropped (and why).")
        fates = st.multiselect("Show", ["coded", "dropped"], default=["coded", "dropped"], key="codebook_hits_fates")
        keep = hits["fate"].eq("coded").map({True: "coded", False: "dropped"}).isin(fates)
        st.dataframe(hits[keep].drop(columns=["start", "end"]), hide_index=True, width="stretch",
                     key="codebook_hits_table", placeholder="—")
