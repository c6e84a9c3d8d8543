"""clockify ingestion: users, sessions, delivery inbox, append-only binnacle, errors, notices

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 12:33:16.207609+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "clockify_event",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=True),
        sa.Column("entry_id", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("rank", sa.SmallInteger(), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("body", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_clockify_event_organization_id_organization"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clockify_event")),
    )
    op.create_index(
        op.f("ix_clockify_event_entry_id"), "clockify_event", ["entry_id"], unique=False
    )
    op.create_index(
        "ix_clockify_event_unprocessed",
        "clockify_event",
        ["received_at"],
        unique=False,
        postgresql_where=sa.text("processed_at IS NULL"),
    )
    op.create_index(
        "uq_clockify_event_delivery",
        "clockify_event",
        ["entry_id", "event", "body_hash"],
        unique=True,
    )
    op.create_table(
        "clockify_user",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("clockify_status", sa.String(length=32), nullable=True),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notify", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("hours_per_month", sa.Integer(), nullable=True),
        sa.Column("time_zone", sa.String(length=64), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_clockify_user_organization_id_organization"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clockify_user")),
        sa.UniqueConstraint("external_id", name=op.f("uq_clockify_user_external_id")),
    )
    op.create_index(
        op.f("ix_clockify_user_organization_id"), "clockify_user", ["organization_id"], unique=False
    )
    op.create_table(
        "error_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=True),
        sa.Column("endpoint", sa.String(length=200), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("raw_body", sa.Text(), nullable=True),
        sa.Column("client_address", sa.String(length=64), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_error_log_organization_id_organization"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_error_log")),
    )
    op.create_index(op.f("ix_error_log_created_at"), "error_log", ["created_at"], unique=False)
    op.create_index(op.f("ix_error_log_endpoint"), "error_log", ["endpoint"], unique=False)
    op.create_index(
        op.f("ix_error_log_organization_id"), "error_log", ["organization_id"], unique=False
    )
    op.create_index(
        "uq_clockify_user_email",
        "clockify_user",
        ["organization_id", sa.literal_column("lower(email)")],
        unique=True,
        postgresql_where=sa.text("email IS NOT NULL"),
    )
    op.create_table(
        "clockify_session",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("clockify_user_id", sa.BigInteger(), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=True),
        sa.Column("project_name", sa.Text(), nullable=True),
        sa.Column("task_id", sa.String(length=64), nullable=True),
        sa.Column("task_name", sa.Text(), nullable=True),
        sa.Column(
            "tags",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("billable", sa.Boolean(), nullable=True),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column(
            "currently_running", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("offset_start", sa.Integer(), nullable=True),
        sa.Column("offset_end", sa.Integer(), nullable=True),
        sa.Column("zoned_start", sa.String(length=32), nullable=True),
        sa.Column("zoned_end", sa.String(length=32), nullable=True),
        sa.Column("is_manual", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("overtime", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "overtime_notified", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("updating_quantity", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("time_edits", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("needs_review", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("reviewed_quantity", sa.Integer(), nullable=True),
        sa.Column("observation", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("valid_start_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_end_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_duration_seconds", sa.Integer(), nullable=True),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IS NULL OR status IN ('APROBADO', 'EN OBSERVACION', 'REPROBADO')",
            name=op.f("ck_clockify_session_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["clockify_user_id"],
            ["clockify_user.id"],
            name=op.f("fk_clockify_session_clockify_user_id_clockify_user"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_clockify_session_organization_id_organization"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clockify_session")),
        sa.UniqueConstraint("external_id", name=op.f("uq_clockify_session_external_id")),
    )
    op.create_index(
        op.f("ix_clockify_session_clockify_user_id"),
        "clockify_session",
        ["clockify_user_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_clockify_session_local_date"), "clockify_session", ["local_date"], unique=False
    )
    op.create_index(
        op.f("ix_clockify_session_organization_id"),
        "clockify_session",
        ["organization_id"],
        unique=False,
    )
    op.create_table(
        "binnacle_entry",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=False),
        sa.Column("session_id", sa.BigInteger(), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=True),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("snapshot", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_binnacle_entry_organization_id_organization"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["clockify_session.id"],
            name=op.f("fk_binnacle_entry_session_id_clockify_session"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_binnacle_entry")),
    )
    op.create_index(
        op.f("ix_binnacle_entry_created_at"), "binnacle_entry", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_binnacle_entry_external_id"), "binnacle_entry", ["external_id"], unique=False
    )
    op.create_index(
        op.f("ix_binnacle_entry_organization_id"),
        "binnacle_entry",
        ["organization_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_binnacle_entry_session_id"), "binnacle_entry", ["session_id"], unique=False
    )
    op.create_table(
        "notification",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("session_id", sa.BigInteger(), nullable=True),
        sa.Column("clockify_user_id", sa.BigInteger(), nullable=True),
        sa.Column("context", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["clockify_user_id"],
            ["clockify_user.id"],
            name=op.f("fk_notification_clockify_user_id_clockify_user"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_notification_organization_id_organization"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["clockify_session.id"],
            name=op.f("fk_notification_session_id_clockify_session"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    op.create_index(
        op.f("ix_notification_organization_id"), "notification", ["organization_id"], unique=False
    )
    op.create_index(
        op.f("ix_notification_session_id"), "notification", ["session_id"], unique=False
    )
    # The binnacle is append-only: the database itself refuses to change or remove an entry.
    op.execute(
        """
        CREATE FUNCTION binnacle_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'binnacle_entry is append-only (% refused)', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END;
        $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER binnacle_entry_append_only
            BEFORE UPDATE OR DELETE ON binnacle_entry
            FOR EACH ROW EXECUTE FUNCTION binnacle_entry_append_only()
        """
    )


def downgrade() -> None:
    op.drop_index("uq_clockify_user_email", table_name="clockify_user")
    op.execute("DROP TRIGGER binnacle_entry_append_only ON binnacle_entry")
    op.execute("DROP FUNCTION binnacle_entry_append_only()")
    op.drop_index(op.f("ix_notification_session_id"), table_name="notification")
    op.drop_index(op.f("ix_notification_organization_id"), table_name="notification")
    op.drop_table("notification")
    op.drop_index(op.f("ix_binnacle_entry_session_id"), table_name="binnacle_entry")
    op.drop_index(op.f("ix_binnacle_entry_organization_id"), table_name="binnacle_entry")
    op.drop_index(op.f("ix_binnacle_entry_external_id"), table_name="binnacle_entry")
    op.drop_index(op.f("ix_binnacle_entry_created_at"), table_name="binnacle_entry")
    op.drop_table("binnacle_entry")
    op.drop_index(op.f("ix_clockify_session_organization_id"), table_name="clockify_session")
    op.drop_index(op.f("ix_clockify_session_local_date"), table_name="clockify_session")
    op.drop_index(op.f("ix_clockify_session_clockify_user_id"), table_name="clockify_session")
    op.drop_table("clockify_session")
    op.drop_index(op.f("ix_error_log_organization_id"), table_name="error_log")
    op.drop_index(op.f("ix_error_log_endpoint"), table_name="error_log")
    op.drop_index(op.f("ix_error_log_created_at"), table_name="error_log")
    op.drop_table("error_log")
    op.drop_index(op.f("ix_clockify_user_organization_id"), table_name="clockify_user")
    op.drop_table("clockify_user")
    op.drop_index("uq_clockify_event_delivery", table_name="clockify_event")
    op.drop_index(
        "ix_clockify_event_unprocessed",
        table_name="clockify_event",
        postgresql_where=sa.text("processed_at IS NULL"),
    )
    op.drop_index(op.f("ix_clockify_event_entry_id"), table_name="clockify_event")
    op.drop_table("clockify_event")
