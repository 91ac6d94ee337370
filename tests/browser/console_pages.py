"""What a WL administrator does in the console, step by step, for the browser tests."""

import uuid
from dataclasses import dataclass

from playwright.async_api import Page, expect

from devstack.mailsink import MailSink
from tests.support.console_helpers import sign_in_link


@dataclass(frozen=True)
class NewCustomer:
    """What the tests type into the create form."""

    business_name: str
    email: str

    @classmethod
    def fresh(cls) -> "NewCustomer":
        tag = uuid.uuid4().hex[:8]
        return cls(f"Harbour Dental {tag}", f"mere-{tag}@customer.example.com")


async def sign_in(page: Page, api_url: str, mail_sink: MailSink, email: str) -> None:
    """From the sign-in page, through the emailed link, to the customers page."""
    before = len(mail_sink.to(email))
    await page.goto(f"{api_url}/console")
    await page.get_by_label("Email").fill(email)
    await page.get_by_role("button", name="Email me a sign-in link").click()
    await expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    link = await sign_in_link(mail_sink, email, before + 1)
    await page.goto(f"{api_url}{link.path_and_query}")
    await page.get_by_role("button", name="Sign in", exact=True).click()
    await expect(page.get_by_role("heading", name="Customers")).to_be_visible()


async def press_continue(page: Page) -> None:
    await page.get_by_role("button", name="Continue").click()


async def choose_path(page: Page, option: str) -> None:
    """Step 1: "The New Customer" or "Me, the White Label administrator"."""
    await page.get_by_role("link", name="Create new customer").click()
    await page.get_by_label(option, exact=True).check()
    await press_continue(page)


async def fill_contact(page: Page, customer: NewCustomer, email: str | None = None) -> None:
    """Step 2."""
    await page.get_by_label("First name").fill("Mere")
    await page.get_by_label("Last name").fill("Tane")
    await page.get_by_label("Email").fill(email or customer.email)
    await page.get_by_label("Phone").fill("+64 21 765 4321")
    await page.get_by_label("Business name").fill(customer.business_name)
    await press_continue(page)


async def fill_address(page: Page, city: str = "Wellington") -> None:
    """Step 3, with the service address the same as the address."""
    await page.get_by_label("Address line 1", exact=True).fill("1 Lambton Quay")
    await page.get_by_label("City", exact=True).fill(city)
    await page.get_by_label("Postal code", exact=True).fill("6011")
    await page.get_by_label("Country", exact=True).select_option("NZ")
    await expect(page.get_by_label("Service address is the same as the address")).to_be_checked()
    await press_continue(page)
