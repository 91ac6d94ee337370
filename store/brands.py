"""Reading and changing a white label's brand; the pages, the emails and the API share it."""

import hashlib
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from domain.brand import Brand, BrandSettings, BrandUpdate, effective_brand, logo_content_type
from store.schema import WhiteLabel, WhiteLabelBrand


def _settings(row: WhiteLabelBrand | None) -> BrandSettings:
    if row is None:
        return BrandSettings()
    return BrandSettings(
        display_name=row.display_name,
        logo_url=row.logo_url,
        has_logo_image=row.logo_sha256 is not None,
        logo_version=row.logo_sha256[:16] if row.logo_sha256 else None,
        primary_colour=row.primary_colour,
        support_email=row.support_email,
        support_phone=row.support_phone,
        email_sender_name=row.email_sender_name,
        email_sender_address=row.email_sender_address,
    )


def _forget_image(row: WhiteLabelBrand) -> None:
    row.logo_image = None
    row.logo_content_type = None
    row.logo_sha256 = None


def _shown(white_label: WhiteLabel, row: WhiteLabelBrand | None) -> Brand:
    return effective_brand(str(white_label.id), white_label.name, _settings(row))


async def _row_to_change(session: AsyncSession, white_label: WhiteLabel) -> WhiteLabelBrand:
    row = await session.get(WhiteLabelBrand, white_label.id)
    if row is None:
        row = WhiteLabelBrand(white_label_id=white_label.id)
        session.add(row)
    return row


async def settings_of(session: AsyncSession, white_label_id: uuid.UUID) -> BrandSettings:
    """What the white label has set itself, no defaults applied (the console's form)."""
    return _settings(await session.get(WhiteLabelBrand, white_label_id))


async def brand_of(session: AsyncSession, white_label: WhiteLabel) -> Brand:
    row = await session.get(WhiteLabelBrand, white_label.id)
    return _shown(white_label, row)


async def update_brand(
    session: AsyncSession, white_label: WhiteLabel, change: BrandUpdate
) -> Brand:
    """Applies the fields the change names; call inside a write transaction."""
    row = await _row_to_change(session, white_label)
    for name, value in _settings(row).updated(change).model_dump().items():
        if name not in {"has_logo_image", "logo_version"}:
            setattr(row, name, value)
    if change.logo_url is not None:  # the newest logo wins: a URL replaces an uploaded image
        _forget_image(row)
    await session.flush()
    return _shown(white_label, row)


async def set_logo_image(session: AsyncSession, white_label: WhiteLabel, data: bytes) -> Brand:
    """Stores an uploaded logo (ValueError if it is not an allowed image) in place of any other."""
    content_type = logo_content_type(data)
    row = await _row_to_change(session, white_label)
    row.logo_image = data
    row.logo_content_type = content_type
    row.logo_sha256 = hashlib.sha256(data).hexdigest()
    row.logo_url = None
    await session.flush()
    return _shown(white_label, row)


async def remove_logo_image(session: AsyncSession, white_label: WhiteLabel) -> Brand:
    row = await session.get(WhiteLabelBrand, white_label.id)
    if row is not None:
        _forget_image(row)
        await session.flush()
    return _shown(white_label, row)


@dataclass(frozen=True)
class LogoImage:
    data: bytes
    content_type: str
    version: str


async def logo_image(session: AsyncSession, white_label_id: uuid.UUID) -> LogoImage | None:
    row = await session.get(
        WhiteLabelBrand, white_label_id, options=[undefer(WhiteLabelBrand.logo_image)]
    )
    if row is None or row.logo_image is None or row.logo_sha256 is None:
        return None
    return LogoImage(
        data=row.logo_image,
        content_type=row.logo_content_type or "application/octet-stream",
        version=row.logo_sha256[:16],
    )
