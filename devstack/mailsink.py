"""An SMTP server that keeps what it receives: the local stack's and the tests' mail server."""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class MailSink:
    """aiosmtpd handler: keeps each message in memory and, if given a folder, as an .eml file."""

    folder: Path | None = None
    messages: list[EmailMessage] = field(default_factory=list)
    envelope_senders: list[str] = field(default_factory=list)
    """The MAIL FROM of each message, in the same order as `messages`."""

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        raw: bytes = envelope.original_content or envelope.content
        message = message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        self.envelope_senders.append(str(envelope.mail_from))
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
            (self.folder / f"{stamp}-{uuid.uuid4().hex[:8]}.eml").write_bytes(raw)
        return "250 Message accepted for delivery"

    def envelope_sender_of(self, message: EmailMessage) -> str:
        return next(
            sender
            for kept, sender in zip(self.messages, self.envelope_senders, strict=True)
            if kept is message
        )

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages if address in str(message.get("To", ""))]


def start_sink(host: str, port: int, sink: MailSink) -> Controller:
    controller = Controller(sink, hostname=host, port=port)
    controller.start()
    return controller
