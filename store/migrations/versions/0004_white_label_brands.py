"""white label brands

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 02:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "white_label_brands",
        sa.Column("white_label_id", sa.Uuid(), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=True),
        sa.Column("logo_url", sa.String(length=500), nullable=True),
        sa.Column("logo_image", sa.LargeBinary(), nullable=True),
        sa.Column("logo_content_type", sa.String(length=40), nullable=True),
        sa.Column("logo_sha256", sa.String(length=64), nullable=True),
        sa.Column("primary_colour", sa.String(length=7), nullable=True),
        sa.Column("support_email", sa.String(length=254), nullable=True),
        sa.Column("support_phone", sa.String(length=20), nullable=True),
        sa.Column("email_sender_name", sa.String(length=100), nullable=True),
        sa.Column("email_sender_address", sa.String(length=254), nullable=True),
        sa.Column("updated_at", store.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["white_label_id"],
            ["white_labels.id"],
            name=op.f("fk_white_label_brands_white_label_id_white_labels"),
        ),
        sa.PrimaryKeyConstraint("white_label_id", name=op.f("pk_white_label_brands")),
    )


def downgrade() -> None:
    op.drop_table("white_label_brands")
