"""A white label's brand: what its customers see on every page and in every email.

Customers of a reseller must see the reseller, never this platform. Every value here ends up
in HTML, CSS or a mail header, so each is checked where it comes in (a colour is `#rrggbb` and
nothing else; names carry no line breaks) and templates escape it again on the way out.
"""

import re
from typing import Annotated, Self

import phonenumbers
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    HttpUrl,
    StringConstraints,
    UrlConstraints,
)

from domain.text import Printable

NEUTRAL_COLOUR = "#334155"
DARK_TEXT = "#000000"
LIGHT_TEXT = "#ffffff"
# Text on the brand colour must reach WCAG AA for normal text.
MINIMUM_CONTRAST = 4.5
# Under the API's 64 KiB body limit; a logo is shown at most 48 px high, and mailed inline.
LOGO_MAX_BYTES = 60 * 1024
# Checked by the file's first bytes, never by the name or the declared type. SVG is left out
# on purpose: it can carry script.
LOGO_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def _e164(value: str) -> str:
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise ValueError("must be a phone number in E.164 form, like +6495550100") from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError("must be a valid phone number in E.164 form, like +6495550100")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


OneLine = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    Printable,
]


def _colour(value: str) -> str:
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
        raise ValueError("must be a colour as #rrggbb, like #0f766e")
    return value.lower()


Colour = Annotated[str, StringConstraints(max_length=7), AfterValidator(_colour)]
HttpsUrl = Annotated[HttpUrl, UrlConstraints(allowed_schemes=["https"], max_length=500)]
PhoneNumber = Annotated[str, StringConstraints(max_length=20), AfterValidator(_e164)]


class BrandUpdate(BaseModel):
    """A change to a brand: fields left out stay as they are; `null` puts back the default."""

    model_config = ConfigDict(extra="forbid")

    display_name: OneLine | None = None
    logo_url: HttpsUrl | None = None
    primary_colour: Colour | None = None
    support_email: EmailStr | None = Field(default=None, max_length=254)
    support_phone: PhoneNumber | None = None
    email_sender_name: OneLine | None = None
    email_sender_address: EmailStr | None = Field(default=None, max_length=254)


class BrandSettings(BaseModel):
    """What a white label has set; anything unset falls back to a neutral default."""

    display_name: str | None = None
    logo_url: str | None = None
    has_logo_image: bool = False
    logo_version: str | None = None
    primary_colour: str | None = None
    support_email: str | None = None
    support_phone: str | None = None
    email_sender_name: str | None = None
    email_sender_address: str | None = None

    def updated(self, change: BrandUpdate) -> Self:
        values = change.model_dump(mode="json", include=change.model_fields_set)
        return self.model_copy(update=values)


class Brand(BaseModel):
    """The brand as shown: every default applied, text colour chosen for contrast."""

    model_config = ConfigDict(frozen=True)

    white_label_id: str
    display_name: str
    primary_colour: str
    text_on_primary: str
    logo_src: str | None = Field(
        default=None, description="where pages load the logo from; None shows the name only"
    )
    logo_url: str | None = None
    has_logo_image: bool = False
    support_email: str | None = None
    support_phone: str | None = None
    email_sender_name: str
    email_sender_address: str | None = None


def effective_brand(white_label_id: str, white_label_name: str, settings: BrandSettings) -> Brand:
    colour = settings.primary_colour or NEUTRAL_COLOUR
    display_name = settings.display_name or white_label_name
    if settings.has_logo_image:
        logo_src: str | None = f"/brand/{white_label_id}/logo?v={settings.logo_version}"
    else:
        logo_src = settings.logo_url
    return Brand(
        white_label_id=white_label_id,
        display_name=display_name,
        primary_colour=colour,
        text_on_primary=readable_text_colour(colour),
        logo_src=logo_src,
        logo_url=settings.logo_url,
        has_logo_image=settings.has_logo_image,
        support_email=settings.support_email,
        support_phone=settings.support_phone,
        email_sender_name=settings.email_sender_name or display_name,
        email_sender_address=settings.email_sender_address,
    )


def neutral_brand() -> Brand:
    """For a page that belongs to no known white label (a bad link): no one's name."""
    return Brand(
        white_label_id="",
        display_name="Account activation",
        primary_colour=NEUTRAL_COLOUR,
        text_on_primary=readable_text_colour(NEUTRAL_COLOUR),
        email_sender_name="Account activation",
    )


def _channel(value: int) -> float:
    scaled = value / 255
    return scaled / 12.92 if scaled <= 0.03928 else ((scaled + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of a `#rrggbb` colour."""
    red, green, blue = (int(colour[index : index + 2], 16) for index in (1, 3, 5))
    return 0.2126 * _channel(red) + 0.7152 * _channel(green) + 0.0722 * _channel(blue)


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def readable_text_colour(background: str) -> str:
    """White or black, whichever reads better on the brand colour.

    On any colour one of the two reaches at least 4.58:1 (the worst case is a mid-grey), so
    no brand colour makes its buttons or header unreadable.
    """
    return max((LIGHT_TEXT, DARK_TEXT), key=lambda text: contrast_ratio(text, background))


def logo_content_type(data: bytes) -> str:
    """The image type of an uploaded logo, read from its bytes; ValueError if not allowed."""
    if not data:
        raise ValueError("the logo is empty")
    if len(data) > LOGO_MAX_BYTES:
        raise ValueError(f"the logo is {len(data)} bytes; at most {LOGO_MAX_BYTES} are allowed")
    for signature, content_type in LOGO_SIGNATURES:
        if data.startswith(signature):
            return content_type
    raise ValueError("the logo must be a PNG, JPEG or GIF image")
