"""interest log, roles, audit, conversation turns

The audit log is append-only in the database itself: an UPDATE of any audit row is refused by a
trigger, whoever issues it. Deletion stays possible for the two sanctioned paths (the retention
job, after the audit period; and a person's erasure of their own self-service entries).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 19:28:51.577443
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auditentry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("region", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("correlation_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("auditentry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auditentry_actor"), ["actor"], unique=False)
        batch_op.create_index(batch_op.f("ix_auditentry_at"), ["at"], unique=False)

    op.create_table(
        "conversationturn",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("profile", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("conversationturn", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conversationturn_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_conversationturn_key"), ["key"], unique=False)
        batch_op.create_index(batch_op.f("ix_conversationturn_user_id"), ["user_id"], unique=False)

    op.create_table(
        "interest",
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("display_name", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("profession", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("grade", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("region", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("programme_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("network_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("consent_version", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("status_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "team_id", "user_id", "programme_id", name="uq_interest_person_programme"
        ),
    )
    with op.batch_alter_table("interest", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_interest_region"), ["region"], unique=False)
        batch_op.create_index(batch_op.f("ix_interest_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "role",
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("region", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("granted_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "user_id", "role", "region"),
    )

    _audit_append_only()


def _audit_append_only() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION auditentry_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'the audit log is append-only';
            END;
            $$ LANGUAGE plpgsql
            """
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


def downgrade() -> None:
    op.execute(
        "DROP TRIGGER IF EXISTS auditentry_no_update"
        + (" ON auditentry" if op.get_context().dialect.name == "postgresql" else "")
    )
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS auditentry_append_only()")
    op.drop_table("role")
    with op.batch_alter_table("interest", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_interest_updated_at"))
        batch_op.drop_index(batch_op.f("ix_interest_region"))

    op.drop_table("interest")
    with op.batch_alter_table("conversationturn", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversationturn_user_id"))
        batch_op.drop_index(batch_op.f("ix_conversationturn_key"))
        batch_op.drop_index(batch_op.f("ix_conversationturn_created_at"))

    op.drop_table("conversationturn")
    with op.batch_alter_table("auditentry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auditentry_at"))
        batch_op.drop_index(batch_op.f("ix_auditentry_actor"))

    op.drop_table("auditentry")
