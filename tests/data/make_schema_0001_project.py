"""Write tests/data/project_schema_0001.qcdb: a project file as the first released schema (0001) left it.

It is committed, and test_store.py opens it with the current code, which must upgrade it
without losing anything. Regenerate only if 0001 itself is found to be wrong (it is frozen).

    .venv/bin/python tests/data/make_schema_0001_project.py
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from qualcode.store.database import make_engine, upgrade

OUT = Path(__file__).parent / "project_schema_0001.qcdb"
TEXT = "Interviewer: Why did you move north?\nRespondent: Работы не было, понимаете.\n"


def main() -> None:
    OUT.unlink(missing_ok=True)
    engine = make_engine(OUT)
    upgrade(engine, "0001")
    ts = "2026-11-21 08:00:00.000000"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO project_info (key, value) VALUES ('name', 'schema 0001 fixture')"))
        conn.execute(text(f"INSERT INTO coders (id, name, created_at) VALUES (1, 'aigerim', '{ts}')"))
        conn.execute(text(f"INSERT INTO cases (id, name, created_at) VALUES (1, 'C01', '{ts}')"))
        conn.execute(text(f"INSERT INTO attributes (id, name, type, created_at) VALUES (1, 'age', 'number', '{ts}')"))
        conn.execute(text("INSERT INTO case_attributes (case_id, attribute_id, value, value_number, source) "
                          "VALUES (1, 1, '34', 34.0, 'cases.csv')"))
        conn.execute(
            text("INSERT INTO transcripts (id, name, version, is_current, case_id, language, text, sha256, "
                 "source_format, source_name, encoding, word_count, imported_at) VALUES (1, 'c01', 1, 1, 1, "
                 "'en', :t, :sha, 'txt', 'c01.txt', 'utf_8', 11, :ts)"),
            {"t": TEXT, "sha": "0" * 64, "ts": ts},
        )
        conn.execute(text("INSERT INTO turns (transcript_id, idx, speaker, role, start_offset, end_offset) "
                          "VALUES (1, 0, 'Interviewer', 'interviewer', 13, 36), "
                          "(1, 1, 'Respondent', 'respondent', 49, 75)"))
        conn.execute(text(f"INSERT INTO codes (id, path, name, color, created_at, updated_at) "
                          f"VALUES (1, 'push.unemployment', 'Unemployment', '#d62728', '{ts}', '{ts}')"))
        conn.execute(text(f"INSERT INTO codings (transcript_id, code_id, start_offset, end_offset, coder_id, "
                          f"origin, status, memo, created_at, updated_at) VALUES (1, 1, 49, 63, 1, 'manual', "
                          f"'accepted', 'no work at home', '{ts}', '{ts}')"))
        conn.execute(text(f"INSERT INTO memos (target_type, target_id, coder_id, text, created_at, updated_at) "
                          f"VALUES ('transcript', 1, 1, 'First interview of the pilot.', '{ts}', '{ts}')"))
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    for extra in ("-wal", "-shm"):
        Path(f"{OUT}{extra}").unlink(missing_ok=True)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
