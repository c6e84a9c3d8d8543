"""automations: schedules, runs (one per tick), organization and global pauses

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 16:04:26.633313+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "platform_flag",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("changed_by", sa.String(length=320), nullable=True),
        sa.Column(
            "changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_platform_flag")),
    )
    op.create_table(
        "automation",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("script_path", sa.String(length=500), nullable=False),
        sa.Column("cron_expression", sa.String(length=120), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "variables",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("timeout_seconds", sa.Integer(), server_default=sa.text("600"), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status", sa.String(length=16), nullable=True),
        sa.Column("created_by_account_id", sa.BigInteger(), nullable=True),
        sa.Column("failure_notified_at", sa.DateTime(timezone=True), nullable=True),
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
            ["created_by_account_id"],
            ["account.id"],
            name=op.f("fk_automation_created_by_account_id_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_automation_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation")),
    )
    op.create_index(
        "ix_automation_due",
        "automation",
        ["next_run_at"],
        unique=False,
        postgresql_where=sa.text("active"),
    )
    op.create_index(
        op.f("ix_automation_organization_id"), "automation", ["organization_id"], unique=False
    )
    op.create_index(
        "uq_automation_organization_name", "automation", ["organization_id", "name"], unique=True
    )
    op.create_table(
        "automation_run",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("automation_id", sa.BigInteger(), nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=False),
        sa.Column("execution_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("scheduled", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=True),
        sa.Column("requested_by_account_id", sa.BigInteger(), nullable=True),
        sa.Column("requested_by_email", sa.String(length=320), nullable=False),
        sa.Column("requested_by_name", sa.String(length=200), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("output", sa.Text(), nullable=True),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("timeout_seconds", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pendiente', 'en_ejecucion', 'exitoso', 'advertencia', 'error',"
            " 'omitida', 'perdida')",
            name=op.f("ck_automation_run_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["automation_id"],
            ["automation.id"],
            name=op.f("fk_automation_run_automation_id_automation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_automation_run_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_account_id"],
            ["account.id"],
            name=op.f("fk_automation_run_requested_by_account_id_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_run")),
        sa.UniqueConstraint("execution_id", name=op.f("uq_automation_run_execution_id")),
    )
    op.create_index(
        "ix_automation_run_automation_started",
        "automation_run",
        ["automation_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_automation_run_open",
        "automation_run",
        ["status"],
        unique=False,
        postgresql_where=sa.text("status IN ('pendiente', 'en_ejecucion')"),
    )
    op.create_index(
        op.f("ix_automation_run_organization_id"),
        "automation_run",
        ["organization_id"],
        unique=False,
    )
    op.create_index(
        "uq_automation_run_tick",
        "automation_run",
        ["automation_id", "scheduled_for"],
        unique=True,
        postgresql_where=sa.text("scheduled_for IS NOT NULL"),
    )
    op.add_column(
        "organization",
        sa.Column(
            "automations_paused", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
    )


def downgrade() -> None:
    op.drop_column("organization", "automations_paused")
    op.drop_index(
        "uq_automation_run_tick",
        table_name="automation_run",
        postgresql_where=sa.text("scheduled_for IS NOT NULL"),
    )
    op.drop_index(op.f("ix_automation_run_organization_id"), table_name="automation_run")
    op.drop_index(
        "ix_automation_run_open",
        table_name="automation_run",
        postgresql_where=sa.text("status IN ('pendiente', 'en_ejecucion')"),
    )
    op.drop_index("ix_automation_run_automation_started", table_name="automation_run")
    op.drop_table("automation_run")
    op.drop_index("uq_automation_organization_name", table_name="automation")
    op.drop_index(op.f("ix_automation_organization_id"), table_name="automation")
    op.drop_index("ix_automation_due", table_name="automation", postgresql_where=sa.text("active"))
    op.drop_table("automation")
    op.drop_table("platform_flag")
