"""`/dev/mail`: a read-only page of what the local SMTP sink received (dev mode only)."""

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from starter.api.dependencies import AppServices
from starter.mailbox import read_mailbox

router = APIRouter(include_in_schema=False)
TEMPLATES = Environment(
    loader=PackageLoader("starter", "templates"), autoescape=select_autoescape(["html"])
)


@router.get("/dev/mail", response_class=HTMLResponse)
async def dev_mail(app: AppServices) -> HTMLResponse:
    if not app.settings.dev_mode or app.mail_dir is None:
        raise HTTPException(status_code=404, detail="not found")
    page = TEMPLATES.get_template("dev_mail.html").render(mails=read_mailbox(app.mail_dir))
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})
