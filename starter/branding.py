"""Changing a white label's brand: one service for `/v1/white-label/brand` and the console's
Brand page, so both check the same things (the request model, a verified sender domain, the
logo's own bytes) and a refusal names the same field."""

from domain.brand import Brand, BrandSettings, BrandUpdate
from domain.mail import UNVERIFIED_SENDER, sender_verified
from domain.settings import Settings
from starter.administration import require_administrator
from starter.auth import Caller
from store import brands
from store.engine import SessionFactory, read_only
from store.schema import WhiteLabel

CHANGE = "change the brand"


class BrandFieldInvalid(Exception):
    """A field the model accepted but the service refuses: its path and the reason."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


class Branding:
    def __init__(self, sessions: SessionFactory, settings: Settings) -> None:
        self._sessions = sessions
        self._reads = read_only(sessions)
        self._settings = settings

    async def brand(self, caller: Caller) -> Brand:
        async with self._reads() as session:
            white_label = await session.get_one(WhiteLabel, caller.white_label_id)
            return await brands.brand_of(session, white_label)

    async def settings(self, caller: Caller) -> BrandSettings:
        async with self._reads() as session:
            return await brands.settings_of(session, caller.white_label_id)

    async def change(
        self,
        caller: Caller,
        change: BrandUpdate,
        *,
        logo_image: bytes | None = None,
        remove_logo_image: bool = False,
    ) -> Brand:
        """Fields the change names; a logo to upload or to remove, in the same transaction."""
        require_administrator(caller, CHANGE)
        sender = change.email_sender_address
        if sender and not sender_verified(sender, self._settings.mail_verified_sender_domains):
            raise BrandFieldInvalid("email_sender_address", UNVERIFIED_SENDER)
        async with self._sessions.begin() as session:
            white_label = await session.get_one(WhiteLabel, caller.white_label_id)
            brand = await brands.update_brand(session, white_label, change)
            if remove_logo_image:
                brand = await brands.remove_logo_image(session, white_label)
            if logo_image is not None:
                try:
                    brand = await brands.set_logo_image(session, white_label, logo_image)
                except ValueError as error:
                    raise BrandFieldInvalid("logo", str(error)) from None
        return brand

    async def set_logo(self, caller: Caller, data: bytes) -> Brand:
        return await self.change(caller, BrandUpdate(), logo_image=data)

    async def remove_logo(self, caller: Caller) -> Brand:
        return await self.change(caller, BrandUpdate(), remove_logo_image=True)
