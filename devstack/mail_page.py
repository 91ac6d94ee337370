"""`/dev/mail`: a read-only page of what the local SMTP sink received.

Only the local stack's API serves it (`python -m devstack.api`): the service itself knows
nothing of a mail sink.
"""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from devstack.mailbox import read_mailbox

TEMPLATES = Environment(
    loader=PackageLoader("devstack", "templates"), autoescape=select_autoescape(["html"])
)


def mail_page(folder: Path) -> APIRouter:
    """The page for the sink that stores its messages in `folder`."""
    router = APIRouter(include_in_schema=False)

    @router.get("/dev/mail", response_class=HTMLResponse)
    async def dev_mail() -> HTMLResponse:
        page = TEMPLATES.get_template("dev_mail.html").render(mails=read_mailbox(folder))
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    return router
