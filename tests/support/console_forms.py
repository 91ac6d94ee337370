"""The create-customer form as a browser without JavaScript posts it, step by step."""

import re
from typing import Any

import httpx

from tests.support.console_helpers import form_token_in

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def flat_fields(body: dict[str, Any]) -> list[tuple[str, str]]:
    """A create request as the form's fields (`contact.email`, `numbers.count`, ...)."""
    fields: list[tuple[str, str]] = [("path", str(body["path"])), ("plan_code", body["plan_code"])]
    for group in ("contact", "business", "address"):
        fields += [(f"{group}.{name}", str(value)) for name, value in body[group].items()]
    fields.append(("service_same_shown", "1"))
    if "service_address" in body:
        fields.append(("service_same", "false"))
        fields += [(f"service_address.{k}", str(v)) for k, v in body["service_address"].items()]
    else:
        fields.append(("service_same", "on"))
    numbers = body.get("numbers") or {}
    if "count" in numbers:
        fields.append(("numbers.count", str(numbers["count"])))
    fields += [("numbers.numbers", number) for number in numbers.get("numbers", [])]
    return fields


def hidden_fields(html: str) -> list[tuple[str, str]]:
    return [
        (name, value.replace("&#34;", '"').replace("&amp;", "&"))
        for name, value in HIDDEN.findall(html)
    ]


async def post_step(
    client: httpx.AsyncClient,
    page_html: str,
    step: int,
    fields: list[tuple[str, str]],
    action: str = "continue",
) -> httpx.Response:
    """Posts one step: the page's hidden fields, with `fields` in place of the step's own."""
    own = {name for name, _ in fields}
    carried = [
        (name, value)
        for name, value in hidden_fields(page_html)
        if name not in own and name not in {"step", "csrf_token"}
    ]
    data = [
        *carried,
        *fields,
        ("step", str(step)),
        ("action", action),
        ("csrf_token", form_token_in(page_html)),
    ]
    grouped: dict[str, list[str]] = {}
    for name, value in data:
        grouped.setdefault(name, []).append(value)
    return await client.post("/console/customers/new", data=grouped)


async def create_through_the_form(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> tuple[httpx.Response, str]:
    """Walks all five steps with everything filled in at step 1; returns the last answer and
    the review page (to post again)."""
    page = await client.get("/console/customers/new")
    assert page.status_code == 200, page.text
    fields = flat_fields(body)
    html = page.text
    for step in range(1, 5):
        answer = await post_step(client, html, step, fields)
        assert answer.status_code == 200, answer.text
        html = answer.text
    assert "Create customer" in html
    created = await post_step(client, html, 5, [], action="create")
    return created, html
