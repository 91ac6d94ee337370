"""Sending mail over SMTP, telling a temporary failure (retry) from a permanent one."""

from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib
from pydantic import SecretStr

from activities.refusals import refuse
from domain.errors import BusinessError


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str | None = None
    password: SecretStr | None = None
    starttls: bool = False
    timeout_seconds: float = 30.0
    envelope_from: str | None = None
    """The MAIL FROM of every message, so bounces come to the platform whatever From says."""


class SmtpMailer:
    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings

    async def send(self, message: EmailMessage) -> None:
        """Raises a non-retryable EmailRejected on a 5xx answer; anything else is retried."""
        settings = self._settings
        try:
            await aiosmtplib.send(
                message,
                sender=settings.envelope_from,
                hostname=settings.host,
                port=settings.port,
                username=settings.username,
                password=settings.password.get_secret_value() if settings.password else None,
                start_tls=settings.starttls,
                timeout=settings.timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = [response.code for response in error.recipients]
            if codes and all(code >= 500 for code in codes):
                raise refuse(
                    BusinessError.EMAIL_REJECTED,
                    f"the mail server refused the recipient permanently ({codes[0]})",
                ) from None
            raise
        except aiosmtplib.SMTPResponseException as error:
            if error.code >= 500:
                raise refuse(
                    BusinessError.EMAIL_REJECTED,
                    f"the mail server refused the message permanently ({error.code})",
                ) from None
            raise
