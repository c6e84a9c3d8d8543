"""clockify session workspace name: what a seed client sent with a session made by hand

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 02:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "clockify_session", sa.Column("workspace_name", sa.String(length=200), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("clockify_session", "workspace_name")
