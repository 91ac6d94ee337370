"""How a moment is written for a customer or an administrator, in emails and on pages alike."""

from datetime import datetime


def human_time(moment: datetime) -> str:
    return moment.strftime("%-d %B %Y, %H:%M UTC")
