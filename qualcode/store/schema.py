"""The project database schema, as SQLAlchemy Core tables.

This is the *current* schema. Migrations in `migrations/versions/` are frozen
copies of each step and must produce exactly this (a test compares them), so
an old project file always upgrades to what the code expects. Column types are
portable: the same schema runs on SQLite (default) and PostgreSQL (team server).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# Stable constraint names, so migrations (batch mode on SQLite) can refer to them.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _ts(name: str, nullable: bool = False) -> Column:
    return Column(name, DateTime(timezone=True), nullable=nullable)


project_info = Table(
    "project_info",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=True),
)

coders = Table(
    "coders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    _ts("created_at"),
)

cases = Table(
    "cases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    _ts("created_at"),
)

attributes = Table(
    "attributes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    # number | category | date | text: decides how values are compared and exported.
    Column("type", String(16), nullable=False),
    _ts("created_at"),
    CheckConstraint("type IN ('number', 'category', 'date', 'text')", name="type"),
)

case_attributes = Table(
    "case_attributes",
    metadata,
    Column("case_id", Integer, ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
    Column("attribute_id", Integer, ForeignKey("attributes.id", ondelete="CASCADE"), primary_key=True),
    # Canonical text form (ISO dates, plain numbers); value_number is set for numbers, for sorting.
    Column("value", Text, nullable=True),
    Column("value_number", Float, nullable=True),
    Column("source", String(500), nullable=True),
)

transcripts = Table(
    "transcripts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(300), nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("is_current", Boolean, nullable=False, server_default="1"),
    Column("previous_id", Integer, ForeignKey("transcripts.id", ondelete="SET NULL"), nullable=True),
    Column("case_id", Integer, ForeignKey("cases.id", ondelete="RESTRICT"), nullable=False),
    Column("language", String(8), nullable=False),
    Column("text", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("source_format", String(16), nullable=False),
    Column("source_name", String(500), nullable=False),
    Column("encoding", String(32), nullable=True),
    Column("word_count", Integer, nullable=False),
    _ts("imported_at"),
    UniqueConstraint("name", "version"),
    Index(None, "sha256"),
)

turns = Table(
    "turns",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("transcript_id", Integer, ForeignKey("transcripts.id", ondelete="CASCADE"), nullable=False),
    Column("idx", Integer, nullable=False),
    Column("speaker", String(200), nullable=True),
    Column("role", String(16), nullable=False),
    Column("start_offset", Integer, nullable=False),
    Column("end_offset", Integer, nullable=False),
    Column("timestamp", Float, nullable=True),
    Column("end_timestamp", Float, nullable=True),
    UniqueConstraint("transcript_id", "idx"),
    CheckConstraint("role IN ('interviewer', 'respondent', 'other')", name="role"),
    CheckConstraint("start_offset <= end_offset", name="span"),
)

codes = Table(
    "codes",
    metadata,
    Column("id", Integer, primary_key=True),
    # The codebook's dot-path id, e.g. "push.unemployment"; stable across renames of `name`.
    Column("path", String(300), nullable=False, unique=True),
    Column("name", String(300), nullable=False),
    Column("parent_id", Integer, ForeignKey("codes.id", ondelete="SET NULL"), nullable=True),
    Column("description", Text, nullable=True),
    Column("color", String(16), nullable=True),
    Column("memo", Text, nullable=True),
    Column("sort_order", Integer, nullable=False, server_default="0"),
    _ts("created_at"),
    _ts("updated_at"),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("codebook_name", String(300), nullable=True),
    Column("codebook_version", String(100), nullable=True),
    Column("codebook_sha256", String(64), nullable=True),
    Column("pipeline_version", String(100), nullable=True),
    Column("params", Text, nullable=True),  # JSON
    Column("status", String(16), nullable=False, server_default="running"),
    Column("coder_id", Integer, ForeignKey("coders.id", ondelete="SET NULL"), nullable=True),
    _ts("started_at"),
    _ts("finished_at", nullable=True),
    # Added in 0003: JSON with counts per code, transcripts coded, and timings.
    Column("stats", Text, nullable=True),
    CheckConstraint("kind IN ('rule', 'model', 'import')", name="kind"),
    CheckConstraint("status IN ('running', 'finished', 'failed')", name="status"),
)

codings = Table(
    "codings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("transcript_id", Integer, ForeignKey("transcripts.id", ondelete="CASCADE"), nullable=False),
    Column("code_id", Integer, ForeignKey("codes.id", ondelete="CASCADE"), nullable=False),
    Column("start_offset", Integer, nullable=False),
    Column("end_offset", Integer, nullable=False),
    Column("coder_id", Integer, ForeignKey("coders.id", ondelete="SET NULL"), nullable=True),
    Column("origin", String(16), nullable=False),
    Column("rule_id", String(300), nullable=True),
    Column("model_id", String(300), nullable=True),
    Column("confidence", Float, nullable=True),
    Column("status", String(16), nullable=False),
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=True),
    Column("memo", Text, nullable=True),
    _ts("created_at"),
    _ts("updated_at"),
    # Added in 0003. The words that made a rule fire (the coding itself may be the whole
    # sentence or turn), and who last accepted or rejected it: a re-code carries that over.
    Column("match_start", Integer, nullable=True),
    Column("match_end", Integer, nullable=True),
    Column("reviewer_id", Integer, ForeignKey("coders.id", ondelete="SET NULL"), nullable=True),
    _ts("reviewed_at", nullable=True),
    CheckConstraint("origin IN ('manual', 'rule', 'model', 'import')", name="origin"),
    CheckConstraint("status IN ('suggested', 'accepted', 'rejected')", name="status"),
    CheckConstraint("start_offset <= end_offset", name="span"),
    CheckConstraint("confidence IS NULL OR (confidence >= 0 AND confidence <= 1)", name="confidence"),
    Index(None, "transcript_id"),
    Index(None, "code_id"),
    Index(None, "run_id"),
)

memos = Table(
    "memos",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("target_type", String(16), nullable=False),
    Column("target_id", Integer, nullable=True),
    Column("coder_id", Integer, ForeignKey("coders.id", ondelete="SET NULL"), nullable=True),
    Column("title", String(300), nullable=True),
    Column("text", Text, nullable=False),
    _ts("created_at"),
    _ts("updated_at"),
    # Added in 0007: a deleted memo is kept, marked, until restored (qualcode.memos), so a
    # slip of the mouse loses no writing. Exports and lists leave deleted memos out.
    _ts("deleted_at", nullable=True),
    CheckConstraint(
        "target_type IN ('project', 'transcript', 'case', 'code', 'coding', 'turn')", name="target_type"
    ),
    Index(None, "target_type", "target_id"),
)

# One row per file a batch import looked at, so a researcher can later see what was
# imported, skipped or refused, and why (added in schema revision 0002).
import_log = Table(
    "import_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("batch", String(36), nullable=False),
    Column("file", String(1000), nullable=False),
    Column("status", String(16), nullable=False),
    Column("error_code", String(8), nullable=True),
    Column("message", Text, nullable=False),
    Column("transcript_id", Integer, ForeignKey("transcripts.id", ondelete="SET NULL"), nullable=True),
    _ts("created_at"),
    CheckConstraint("status IN ('imported', 'skipped', 'failed')", name="status"),
    Index(None, "batch"),
)

# Review decisions on auto-codings (added in 0003), kept apart from the codings so that a
# decision outlives a re-code that drops the coding and applies again when it comes back.
reviews = Table(
    "reviews",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("transcript_id", Integer, ForeignKey("transcripts.id", ondelete="CASCADE"), nullable=False),
    Column("code_id", Integer, ForeignKey("codes.id", ondelete="CASCADE"), nullable=False),
    Column("start_offset", Integer, nullable=False),
    Column("end_offset", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("reviewer_id", Integer, ForeignKey("coders.id", ondelete="SET NULL"), nullable=True),
    _ts("reviewed_at"),
    UniqueConstraint("transcript_id", "code_id", "start_offset", "end_offset"),
    CheckConstraint("status IN ('suggested', 'accepted', 'rejected')", name="status"),
)

# Cached language analysis (added in 0003): "analyse once, re-code many times". An
# `analysis` row holds one transcript's token arrays, keyed by the hash of its text and
# turn spans; a `lemmas` row holds a language's word form -> lemma cache; a `matches` row a
# transcript's matches per rule fingerprint (so a re-code only matches edited rules). All are
# keyed by the pipeline version, so a new lemmatiser never reuses stale results.
nlp_cache = Table(
    "nlp_cache",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("key", String(64), primary_key=True),
    Column("pipeline_version", String(100), primary_key=True),
    Column("data", LargeBinary, nullable=False),
    _ts("created_at"),
    CheckConstraint("kind IN ('analysis', 'lemmas', 'matches')", name="kind"),
)

# Learned suggestions (added in 0004). A model is stored as plain data, never as a pickle:
# `spec` is JSON (codes, vocabulary, thresholds, calibration, parameters, metrics) and
# `weights` the coefficient matrix as raw little-endian float32. `sha256` covers both, so a
# changed row is refused on loading (qualcode.suggest.storage); loading never runs code.
models = Table(
    "models",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("format", String(32), nullable=False),
    Column("spec", Text, nullable=False),
    Column("weights", LargeBinary, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("training_sha256", String(64), nullable=False),
    _ts("created_at"),
    Index(None, "run_id"),
)

# Why the model suggested a coding (JSON: the features that weighed most), for the UI.
suggestion_reasons = Table(
    "suggestion_reasons",
    metadata,
    Column("coding_id", Integer, ForeignKey("codings.id", ondelete="CASCADE"), primary_key=True),
    Column("reasons", Text, nullable=False),
)

# The codebooks the project was coded with (added in 0005), by the hash of their file's bytes
# (runs.codebook_sha256 points here), so the typology and exports find the codebook of the
# last run wherever the command runs, and even after the file moved or changed.
codebooks = Table(
    "codebooks",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("version", String(100), nullable=True),
    Column("path", String(1000), nullable=True),  # where it was read from (absolute), for the record
    Column("content", Text, nullable=False),  # the YAML as it was, UTF-8
    _ts("stored_at"),
)

# GUIDs another tool gave to what was imported from its REFI-QDA file (added in 0005), so a
# re-export gives them back (qualcode.exchange.refi_guids).
refi_guids = Table(
    "refi_guids",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("natural", String(1000), primary_key=True),
    Column("guid", String(64), nullable=False),
)

# Team mode (added in 0006): who may work in the project and with which role. `subject` is the
# signed-in identity (lower-cased e-mail, or the provider's `sub` when it gives none).
members = Table(
    "members",
    metadata,
    Column("subject", String(320), primary_key=True),
    Column("display_name", String(200), nullable=True),
    Column("role", String(16), nullable=False),
    _ts("added_at"),
    Column("added_by", String(320), nullable=False),
    CheckConstraint("role IN ('owner', 'coder', 'viewer')", name="role"),
)

# Append-only record of who did what (added in 0006); `detail` is JSON text.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    _ts("at"),
    Column("actor", String(320), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target_kind", String(32), nullable=True),
    Column("target", String(1000), nullable=True),
    Column("detail", Text, nullable=True),
    Index(None, "at"),
)


# Keep this last. SQLite does not enforce VARCHAR lengths and PostgreSQL does, so a value that
# SQLite stored (a long speaker label, a pipeline version naming several languages) failed on
# PostgreSQL. There every String column is TEXT, so both stores accept the same values; the
# lengths above stay as documentation (migration 0008 converts existing PostgreSQL projects).
for _table in metadata.tables.values():
    for _column in _table.columns:
        if type(_column.type) is String:
            _column.type = _column.type.with_variant(Text(), "postgresql")
