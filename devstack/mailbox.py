"""The development mailbox: messages the local SMTP sink stored as .eml files."""

from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path


@dataclass(frozen=True)
class StoredMail:
    name: str
    received_at: datetime
    sender: str
    recipients: str
    subject: str
    text: str


def _text_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    return part.get_content() if part is not None else ""


def read_mailbox(folder: Path, limit: int = 100) -> list[StoredMail]:
    """The newest messages first."""
    if not folder.is_dir():
        return []
    files = sorted(folder.glob("*.eml"), reverse=True)[:limit]
    parser = BytesParser(policy=policy.default)
    mails = []
    for file in files:
        message = parser.parsebytes(file.read_bytes())
        assert isinstance(message, EmailMessage)
        mails.append(
            StoredMail(
                name=file.stem,
                received_at=datetime.fromtimestamp(file.stat().st_mtime, UTC),
                sender=str(message.get("From", "")),
                recipients=str(message.get("To", "")),
                subject=str(message.get("Subject", "")),
                text=_text_part(message),
            )
        )
    return mails
