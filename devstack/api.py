"""`python -m devstack.api`: the API as `make run` serves it, with the development mailbox."""

import asyncio

from devstack.mail_page import mail_page
from domain.settings import load_settings
from runtime.process_exit import exit_after
from starter.api.server import serve_api


def main() -> int:
    settings = load_settings()
    # DEV_MODE (set by `make run`) is what shows the mailbox, as its documentation says.
    pages = [mail_page(settings.dev_mail_dir)] if settings.dev_mode else []
    asyncio.run(serve_api(settings, extra_routers=pages))
    return 0


if __name__ == "__main__":
    exit_after(main)
