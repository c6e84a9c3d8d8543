"""report jobs: reports asked for or scheduled, one row per scheduled period and organization

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 15:44:05.176710+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_job",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("clockify_user_id", sa.BigInteger(), nullable=True),
        sa.Column("email_to", sa.String(length=320), nullable=True),
        sa.Column("requested_by", sa.String(length=320), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("file_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "summary",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
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
            "kind IN ('weekly', 'monthly', 'custom')", name=op.f("ck_report_job_kind_valid")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'running', 'done', 'failed')",
            name=op.f("ck_report_job_status_valid"),
        ),
        sa.CheckConstraint(
            "trigger IN ('schedule', 'manual')", name=op.f("ck_report_job_trigger_valid")
        ),
        sa.CheckConstraint("period_start <= period_end", name=op.f("ck_report_job_period_ordered")),
        sa.ForeignKeyConstraint(
            ["clockify_user_id"],
            ["clockify_user.id"],
            name=op.f("fk_report_job_clockify_user_id_clockify_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["stored_file.id"],
            name=op.f("fk_report_job_file_id_stored_file"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_report_job_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_job")),
    )
    op.create_index(
        "ix_report_job_due",
        "report_job",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("status IN ('pending', 'running')"),
    )
    op.create_index(
        op.f("ix_report_job_organization_id"), "report_job", ["organization_id"], unique=False
    )
    op.create_index(
        "uq_report_job_scheduled_period",
        "report_job",
        ["organization_id", "kind", "period_start"],
        unique=True,
        postgresql_where=sa.text("trigger = 'schedule'"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_report_job_scheduled_period",
        table_name="report_job",
        postgresql_where=sa.text("trigger = 'schedule'"),
    )
    op.drop_index(op.f("ix_report_job_organization_id"), table_name="report_job")
    op.drop_index(
        "ix_report_job_due",
        table_name="report_job",
        postgresql_where=sa.text("status IN ('pending', 'running')"),
    )
    op.drop_table("report_job")
