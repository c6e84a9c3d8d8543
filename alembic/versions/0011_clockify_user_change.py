"""clockify user change: who changed a user's email (where its reports go), who confirmed it

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-09 10:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "clockify_user_change",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=False),
        sa.Column("clockify_user_id", sa.BigInteger(), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("old_email", sa.String(length=320), nullable=True),
        sa.Column("new_email", sa.String(length=320), nullable=True),
        sa.Column("actor", sa.String(length=340), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "event IN ('email_changed', 'email_confirmed')",
            name=op.f("ck_clockify_user_change_event_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_clockify_user_change_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["clockify_user_id"],
            ["clockify_user.id"],
            name=op.f("fk_clockify_user_change_clockify_user_id_clockify_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clockify_user_change")),
    )
    op.create_index(
        op.f("ix_clockify_user_change_organization_id"),
        "clockify_user_change",
        ["organization_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_clockify_user_change_clockify_user_id"),
        "clockify_user_change",
        ["clockify_user_id"],
        unique=False,
    )
    # Like the binnacle: the database itself refuses to change or remove a record.
    op.execute(
        """
        CREATE FUNCTION clockify_user_change_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'clockify_user_change is append-only (% refused)', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END;
        $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER clockify_user_change_append_only
            BEFORE UPDATE OR DELETE ON clockify_user_change
            FOR EACH ROW EXECUTE FUNCTION clockify_user_change_append_only()
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER clockify_user_change_append_only ON clockify_user_change")
    op.execute("DROP FUNCTION clockify_user_change_append_only()")
    op.drop_index(
        op.f("ix_clockify_user_change_clockify_user_id"), table_name="clockify_user_change"
    )
    op.drop_index(
        op.f("ix_clockify_user_change_organization_id"), table_name="clockify_user_change"
    )
    op.drop_table("clockify_user_change")
