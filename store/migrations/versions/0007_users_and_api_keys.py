"""users, keys and webhook settings: removed users, last sign-in, invitations, named API
keys; webhook secret rotation, deleted endpoints, console form ids; console imports;
passkeys and their challenges

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = store.types.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.add_column("wl_users", sa.Column("removed_at", UTC_TIME, nullable=True))
    op.add_column("wl_users", sa.Column("last_signed_in_at", UTC_TIME, nullable=True))
    op.add_column(
        "console_sign_ins",
        sa.Column("is_invitation", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "webhook_endpoints", sa.Column("previous_signing_secret", sa.String(100), nullable=True)
    )
    op.add_column(
        "webhook_endpoints", sa.Column("previous_secret_expires_at", UTC_TIME, nullable=True)
    )
    op.add_column("webhook_endpoints", sa.Column("deleted_at", UTC_TIME, nullable=True))
    op.add_column("webhook_endpoints", sa.Column("form_id", sa.String(64), nullable=True))
    # A unique index, not a constraint: SQLite adds it without rebuilding the table.
    op.create_index(
        op.f("ix_webhook_endpoints_form_id"), "webhook_endpoints", ["form_id"], unique=True
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("white_label_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by_user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("last_used_at", UTC_TIME, nullable=True),
        sa.Column("revoked_at", UTC_TIME, nullable=True),
        sa.Column("form_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["white_label_id"],
            ["white_labels.id"],
            name=op.f("fk_api_keys_white_label_id_white_labels"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["wl_users.id"],
            name=op.f("fk_api_keys_created_by_user_id_wl_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
        sa.UniqueConstraint("form_id", name=op.f("uq_api_keys_form_id")),
    )
    op.create_index(op.f("ix_api_keys_white_label_id"), "api_keys", ["white_label_id"])

    op.create_table(
        "console_imports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("white_label_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=True),
        sa.Column("lines", sa.JSON(), nullable=True),
        sa.Column("checked", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("started_at", UTC_TIME, nullable=True),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=True),
        sa.Column("finished_at", UTC_TIME, nullable=True),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["white_label_id"],
            ["white_labels.id"],
            name=op.f("fk_console_imports_white_label_id_white_labels"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["wl_users.id"], name=op.f("fk_console_imports_user_id_wl_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_imports")),
    )
    op.create_index(
        op.f("ix_console_imports_white_label_id"), "console_imports", ["white_label_id"]
    )

    op.create_table(
        "passkeys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("credential_id", sa.LargeBinary(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("last_used_at", UTC_TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["wl_users.id"], name=op.f("fk_passkeys_user_id_wl_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_passkeys")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_passkeys_credential_id")),
    )
    op.create_index(op.f("ix_passkeys_user_id"), "passkeys", ["user_id"])
    op.create_table(
        "passkey_challenges",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("challenge", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("expires_at", UTC_TIME, nullable=False),
        sa.Column("used_at", UTC_TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["wl_users.id"], name=op.f("fk_passkey_challenges_user_id_wl_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_passkey_challenges")),
    )


def downgrade() -> None:
    op.drop_table("passkey_challenges")
    op.drop_index(op.f("ix_passkeys_user_id"), table_name="passkeys")
    op.drop_table("passkeys")
    op.drop_index(op.f("ix_console_imports_white_label_id"), table_name="console_imports")
    op.drop_table("console_imports")
    op.drop_index(op.f("ix_api_keys_white_label_id"), table_name="api_keys")
    op.drop_table("api_keys")
    op.drop_index(op.f("ix_webhook_endpoints_form_id"), table_name="webhook_endpoints")
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.drop_column("form_id")
        batch.drop_column("deleted_at")
        batch.drop_column("previous_secret_expires_at")
        batch.drop_column("previous_signing_secret")
    with op.batch_alter_table("console_sign_ins") as batch:
        batch.drop_column("is_invitation")
    with op.batch_alter_table("wl_users") as batch:
        batch.drop_column("last_signed_in_at")
        batch.drop_column("removed_at")
