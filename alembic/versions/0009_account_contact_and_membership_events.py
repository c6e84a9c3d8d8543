"""account contact details and the membership record: the frontend's Usuarios screen

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 10:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("account", sa.Column("phone", sa.String(length=30), nullable=True))
    op.add_column("account", sa.Column("birth_date", sa.Date(), nullable=True))
    op.create_table(
        "membership_event",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("organization_id", sa.BigInteger(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("account_email", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("old_role", sa.String(length=20), nullable=True),
        sa.Column("new_role", sa.String(length=20), nullable=True),
        sa.Column("actor", sa.String(length=340), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "action IN ('cuenta_creada', 'agregado', 'rol_cambiado', 'eliminado')",
            name=op.f("ck_membership_event_action_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_membership_event_organization_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership_event")),
    )
    op.create_index(
        op.f("ix_membership_event_organization_id"),
        "membership_event",
        ["organization_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_membership_event_organization_id"), table_name="membership_event")
    op.drop_table("membership_event")
    op.drop_column("account", "birth_date")
    op.drop_column("account", "phone")
