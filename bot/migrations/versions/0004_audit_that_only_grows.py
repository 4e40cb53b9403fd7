"""an audit that only grows: entries name the interest and the change; erasure pseudonymises

New audit columns: `subject` (whom an entry is about), `interest_id`, `field`, `from_value`,
`to_value`, and for refusals counted per person and hour `occurrences`, `bucket` and `last_at`.
`interest.status_by` widens to hold a pseudonym; `savedprofile.used_at` lets unused profiles expire.

The database refuses every UPDATE of an audit entry except two sanctioned ones:
  - pseudonymisation: `actor` and/or `subject` go from a Slack identity ("slack:…") to a pseudonym
    ("erased:" and 32 hex digits), every other column unchanged;
  - counting: a counted entry (`bucket` set) gets a larger `occurrences` and a later-or-equal
    `last_at`, every other column unchanged.
and refuses DELETE of entries less than 365 days old (the shortest audit period settings allow).
PostgreSQL compares whole rows (to_jsonb), so a column added later is protected without touching
the trigger; SQLite's trigger lists the columns, and a test fails if a new one is missing.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004"
down_revision = "0004_answers"
branch_labels = None
depends_on = None

PSEUDONYM_GLOB = "erased:" + "[0-9a-f]" * 32
PSEUDONYM_LENGTH = len("erased:") + 32
MINIMUM_DAYS = 365
# Every auditentry column except the two a pseudonymisation may change (SQLite's trigger).
FIXED = (
    "id", "at", "action", "region", "row_count", "outcome", "correlation_id", "interest_id",
    "field", "from_value", "to_value", "occurrences", "bucket", "last_at",
)  # fmt: skip
COUNTED = ("occurrences", "last_at")


def upgrade() -> None:
    _drop_old_trigger()
    with op.batch_alter_table("auditentry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True))  # fmt: skip
        batch_op.add_column(sa.Column("interest_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("field", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))  # fmt: skip
        batch_op.add_column(sa.Column("from_value", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))  # fmt: skip
        batch_op.add_column(sa.Column("to_value", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))  # fmt: skip
        batch_op.add_column(sa.Column("occurrences", sa.Integer(), server_default="1", nullable=False))  # fmt: skip
        batch_op.add_column(sa.Column("bucket", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_auditentry_subject"), ["subject"], unique=False)
        batch_op.create_index(batch_op.f("ix_auditentry_interest_id"), ["interest_id"], unique=False)  # fmt: skip
    with op.batch_alter_table("interest", schema=None) as batch_op:
        batch_op.alter_column(
            "status_by",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=32),
            type_=sqlmodel.sql.sqltypes.AutoString(length=80),
            existing_nullable=True,
        )
    with op.batch_alter_table("savedprofile", schema=None) as batch_op:
        batch_op.add_column(sa.Column("used_at", sa.DateTime(timezone=True), nullable=True))
    if op.get_context().dialect.name == "postgresql":
        _postgres_guard()
    else:
        _sqlite_guard()


def _drop_old_trigger() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS auditentry_no_update ON auditentry")
        op.execute("DROP FUNCTION IF EXISTS auditentry_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS auditentry_no_update")


def _postgres_guard() -> None:
    op.execute(
        f"""
        CREATE FUNCTION auditentry_guard() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                IF OLD.at > now() - interval '{MINIMUM_DAYS} days' THEN
                    RAISE EXCEPTION 'the audit log keeps entries for at least {MINIMUM_DAYS} days';
                END IF;
                RETURN OLD;
            END IF;
            IF (to_jsonb(NEW) - 'actor' - 'subject') = (to_jsonb(OLD) - 'actor' - 'subject')
               AND (NEW.actor = OLD.actor
                    OR (OLD.actor LIKE 'slack:%' AND NEW.actor ~ '^erased:[0-9a-f]{{32}}$'))
               AND (NEW.subject IS NOT DISTINCT FROM OLD.subject
                    OR (OLD.subject LIKE 'slack:%' AND NEW.subject ~ '^erased:[0-9a-f]{{32}}$'))
            THEN
                RETURN NEW;
            END IF;
            IF OLD.bucket IS NOT NULL
               AND (to_jsonb(NEW) - 'occurrences' - 'last_at')
                   = (to_jsonb(OLD) - 'occurrences' - 'last_at')
               AND NEW.occurrences > OLD.occurrences
               AND NEW.last_at >= OLD.last_at
            THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'the audit log is append-only';
        END;
        $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        "CREATE TRIGGER auditentry_guard BEFORE UPDATE OR DELETE ON auditentry "
        "FOR EACH ROW EXECUTE FUNCTION auditentry_guard()"
    )


def _unchanged(columns: tuple[str, ...]) -> str:
    return " AND ".join(f"NEW.{c} IS OLD.{c}" for c in columns)


def _becomes_pseudonym(column: str) -> str:
    return (
        f"(NEW.{column} IS OLD.{column} OR (OLD.{column} GLOB 'slack:*' "
        f"AND length(NEW.{column}) = {PSEUDONYM_LENGTH} AND NEW.{column} GLOB '{PSEUDONYM_GLOB}'))"
    )


def _sqlite_guard() -> None:
    pseudonymised = f"{_unchanged(FIXED)} AND {_becomes_pseudonym('actor')} AND {_becomes_pseudonym('subject')}"  # fmt: skip
    rest = tuple(c for c in (*FIXED, "actor", "subject") if c not in COUNTED)
    counted = (
        f"OLD.bucket IS NOT NULL AND {_unchanged(rest)} "
        "AND NEW.occurrences > OLD.occurrences AND NEW.last_at >= OLD.last_at"
    )
    op.execute(
        "CREATE TRIGGER auditentry_no_update BEFORE UPDATE ON auditentry "
        f"WHEN NOT ({pseudonymised}) AND NOT ({counted}) "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
    )
    op.execute(
        "CREATE TRIGGER auditentry_no_early_delete BEFORE DELETE ON auditentry "
        f"WHEN OLD.at > strftime('%Y-%m-%d %H:%M:%f', 'now', '-{MINIMUM_DAYS} days') "
        f"BEGIN SELECT RAISE(ABORT, 'the audit log keeps entries for at least {MINIMUM_DAYS} days'); END"
    )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS auditentry_guard ON auditentry")
        op.execute("DROP FUNCTION IF EXISTS auditentry_guard()")
    else:
        op.execute("DROP TRIGGER IF EXISTS auditentry_no_update")
        op.execute("DROP TRIGGER IF EXISTS auditentry_no_early_delete")
    with op.batch_alter_table("savedprofile", schema=None) as batch_op:
        batch_op.drop_column("used_at")
    with op.batch_alter_table("interest", schema=None) as batch_op:
        batch_op.alter_column(
            "status_by",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=80),
            type_=sqlmodel.sql.sqltypes.AutoString(length=32),
            existing_nullable=True,
        )
    with op.batch_alter_table("auditentry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auditentry_interest_id"))
        batch_op.drop_index(batch_op.f("ix_auditentry_subject"))
        for column in ("last_at", "bucket", "occurrences", "to_value", "from_value", "field",
                       "interest_id", "subject"):  # fmt: skip
            batch_op.drop_column(column)
    _restore_0002_trigger()


def _restore_0002_trigger() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION auditentry_append_only() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'the audit log is append-only'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER auditentry_no_update BEFORE UPDATE ON auditentry "
            "FOR EACH ROW EXECUTE FUNCTION auditentry_append_only()"
        )
    else:
        op.execute(
            "CREATE TRIGGER auditentry_no_update BEFORE UPDATE ON auditentry "
            "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
        )
