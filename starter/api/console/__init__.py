"""`/console`: the WL administrators' and staff's own pages, served by the API's app.

Server-rendered in the WL's brand, with the customer pages' security headers and CSP, and
usable without JavaScript (console.js only adds live updates and small conveniences).
The pages call the same services as `/v1` (create, list, views), never a second copy.
"""

from fastapi import FastAPI

from starter.api.console import (
    account,
    actions,
    api_keys,
    audit,
    brand,
    customers,
    gateway,
    imports,
    passkeys,
    sign_in,
    users,
    webhooks,
    wizard,
)
from starter.api.console.session import install_console_errors


def install_console(app: FastAPI) -> None:
    install_console_errors(app)
    app.include_router(passkeys.sign_in)  # before sign_in.links: /passkey is not an id
    app.include_router(sign_in.router)
    app.include_router(sign_in.links)
    app.include_router(wizard.router)  # before customers: /console/customers/new is not an id
    app.include_router(customers.router)
    app.include_router(actions.router)
    app.include_router(audit.router)
    app.include_router(gateway.router)
    app.include_router(users.router)
    app.include_router(account.router)
    app.include_router(passkeys.account)
    app.include_router(api_keys.router)
    app.include_router(webhooks.router)
    app.include_router(imports.router)
    app.include_router(brand.router)
