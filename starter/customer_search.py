"""Finding a white label's customers: the one query behind `GET /v1/customers` and the console.

The search matches the business name, the contact's names and email, and the customer's
numbers, case-insensitively and anywhere in the text. Contact fields live in JSON columns;
SQLAlchemy's JSON paths read them on SQLite and PostgreSQL alike.
"""

import uuid

from sqlalchemy import ColumnElement, Select, String, cast, exists, func, or_, select

from domain.enums import CustomerStatus
from store.schema import Customer, PhoneNumber

MAX_SEARCH = 100


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def customers_query(
    white_label_id: uuid.UUID,
    *,
    status: CustomerStatus | None = None,
    search: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Select[Customer]:
    """Newest first; `search` is matched as typed (at most MAX_SEARCH characters)."""
    query = select(Customer).where(Customer.white_label_id == white_label_id)
    if status is not None:
        query = query.where(Customer.status == status.value)
    text = (search or "").strip()[:MAX_SEARCH]
    if text:
        pattern = _like(text)

        def matches(column: ColumnElement[str]) -> ColumnElement[bool]:
            return func.lower(cast(column, String)).like(pattern, escape="\\")

        query = query.where(
            or_(
                matches(Customer.business["name"].as_string()),
                matches(Customer.contact["first_name"].as_string()),
                matches(Customer.contact["last_name"].as_string()),
                matches(Customer.contact["email"].as_string()),
                exists().where(
                    PhoneNumber.customer_id == Customer.id,
                    PhoneNumber.e164.like(_like(text.replace(" ", "")), escape="\\"),
                ),
            )
        )
    return query.order_by(Customer.created_at.desc(), Customer.id).limit(limit).offset(offset)
