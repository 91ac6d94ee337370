"""`python -m starter ...` as an operator runs it."""

import asyncio
import hashlib
import json
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from google.protobuf.duration_pb2 import Duration
from sqlalchemy import func, select
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.worker import Worker

from devstack.mailsink import MailSink
from domain.settings import Settings
from store.engine import SessionFactory
from store.migrate import head_revision
from store.schema import Customer, PhoneNumber, Plan, WhiteLabel, WlUser
from tests.conftest import WhiteLabelFixture, customer_request
from tests.support.self_serve_helpers import customer, mails_to, start_signup, until_status
from tests.support.worker_processes import settings_environment

pytestmark = pytest.mark.asyncio(loop_scope="session")
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, object]:
        parsed: dict[str, object] = json.loads(self.stdout)
        return parsed


async def starter(settings: Settings, *args: str, **environment: str) -> Run:
    variables = {**settings_environment(settings), **environment}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "starter",
        *args,
        cwd=ROOT,
        env=variables,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return Run(process.returncode, stdout.decode(), stderr.decode())


async def count(sessions: SessionFactory, model: type, *where: object) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_wl_create_shows_the_key_once_and_stores_only_its_hash(
    settings: Settings, sessions: SessionFactory
) -> None:
    run = await starter(
        settings,
        "wl",
        "create",
        "--name",
        "Kiwi Voice",
        "--admin-email",
        "ops@kiwivoice.example.com",
        "--credit-limit",
        "2500.00",
        "--json",
    )

    assert run.code == 0, run.stderr
    created = run.json()
    assert set(created) == {"white_label_id", "admin_user_id", "api_key"}
    api_key = str(created["api_key"])
    assert len(api_key) >= 43
    async with sessions() as session:
        white_label = await session.get_one(WhiteLabel, uuid.UUID(str(created["white_label_id"])))
        user = await session.get_one(WlUser, uuid.UUID(str(created["admin_user_id"])))
    assert white_label.currency == "NZD"
    assert str(white_label.credit_limit) == "2500.00"
    assert user.role == "administrator"
    assert user.api_key_hash == hashlib.sha256(api_key.encode()).hexdigest()
    assert api_key not in user.api_key_hash


async def test_a_revoked_key_stops_working_at_once_and_a_new_one_can_be_issued(
    settings: Settings, white_label: WhiteLabelFixture, api: httpx.AsyncClient
) -> None:
    added = await starter(
        settings, "wl", "add-user", "--wl", str(white_label.id),
        "--email", f"leaver-{uuid.uuid4().hex[:6]}@x.example.com", "--role", "staff", "--json",
    )  # fmt: skip
    user_id, key = str(added.json()["user_id"]), str(added.json()["api_key"])
    bearer = {"Authorization": f"Bearer {key}"}
    assert (await api.get("/v1/customers", headers=bearer)).status_code == 200

    revoked = await starter(settings, "wl", "revoke-key", "--user", user_id, "--json")
    refused = await api.get("/v1/customers", headers=bearer)
    issued = await starter(settings, "wl", "issue-key", "--user", user_id, "--json")
    new_bearer = {"Authorization": f"Bearer {issued.json()['api_key']}"}

    assert revoked.code == 0, revoked.stderr
    assert revoked.json() == {"user_id": user_id, "revoked": True}
    assert key not in revoked.stdout + revoked.stderr
    assert refused.status_code == 401
    assert issued.code == 0, issued.stderr
    assert (await api.get("/v1/customers", headers=new_bearer)).status_code == 200
    assert (await api.get("/v1/customers", headers=bearer)).status_code == 401

    by_key = await starter(settings, "wl", "revoke-key", "--key", str(issued.json()["api_key"]))
    assert by_key.code == 0, by_key.stderr
    assert (await api.get("/v1/customers", headers=new_bearer)).status_code == 401
    unknown = await starter(settings, "wl", "revoke-key", "--key", "wlk_never-issued")
    assert (unknown.code, unknown.stderr) == (
        2,
        "python -m starter: --key: not a key of any user\n",
    )


async def test_users_plans_and_number_ranges_are_added(
    settings: Settings, sessions: SessionFactory, white_label: WhiteLabelFixture
) -> None:
    wl = str(white_label.id)

    user = await starter(
        settings, "wl", "add-user", "--wl", wl, "--email", "desk@x.example.com",
        "--role", "staff", "--json",
    )  # fmt: skip
    plan = await starter(
        settings, "plans", "add", "--wl", wl, "--code", "solo", "--name", "Solo",
        "--setup-fee", "0.00", "--monthly-fee", "15.00", "--initial-funding", "20.00", "--json",
    )  # fmt: skip
    numbers = await starter(
        settings, "numbers", "add", "--wl", wl, "--range", "+6498880100:+6498880109", "--json"
    )
    again = await starter(settings, "numbers", "add", "--wl", wl, "+6498880100", "--json")

    assert user.code == 0, user.stderr
    assert set(user.json()) == {"user_id", "api_key"}
    assert plan.code == 0, plan.stderr
    assert numbers.code == 0, numbers.stderr
    assert len(numbers.json()["added"]) == 10  # type: ignore[arg-type]
    assert again.json() == {"added": [], "already_present": ["+6498880100"]}
    assert await count(sessions, Plan, Plan.white_label_id == white_label.id, Plan.code == "solo")
    assert (
        await count(sessions, PhoneNumber, PhoneNumber.white_label_id == white_label.id)
        == len(white_label.numbers) + 10
    )


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["wl", "create", "--name", "X", "--admin-email", "not-an-email"], "--admin-email"),
        (["wl", "create", "--name", "X", "--admin-email", "a@x.example.com", "--currency", "ZZZ"],
         "--currency"),
        (["wl", "create", "--name", "X", "--admin-email", "a@x.example.com",
          "--credit-limit", "12.345"], "--credit-limit"),
        (["wl", "create", "--admin-email", "a@x.example.com"], "--name"),
        (["wl", "add-user", "--wl", "not-a-uuid", "--email", "a@x.example.com",
          "--role", "staff"], "--wl"),
        (["wl", "add-user", "--wl", str(uuid.uuid4()), "--email", "a@x.example.com",
          "--role", "staff"], "--wl"),
        (["wl", "add-user", "--wl", str(uuid.uuid4()), "--email", "a@x.example.com",
          "--role", "owner"], "--role"),
        (["numbers", "add", "--wl", str(uuid.uuid4()), "--range", "+6498880109:+6498880100"],
         "--range"),
        (["customers", "create", "--file", "/nonexistent.json", "--api-key", "wlk_x"], "--file"),
        (["numbers", "add", "--wl", str(uuid.uuid4()), "+64510000000"], "+64510000000"),
    ],
)  # fmt: skip
async def test_bad_arguments_exit_2_with_one_line_and_write_nothing(
    settings: Settings, sessions: SessionFactory, args: list[str], named: str
) -> None:
    before = await count(sessions, WhiteLabel)

    run = await starter(settings, *args, "--json")

    assert run.code == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert named in lines[0]
    assert run.stdout == ""
    assert await count(sessions, WhiteLabel) == before


async def test_customers_create_from_a_file_and_show(
    settings: Settings,
    sessions: SessionFactory,
    white_label: WhiteLabelFixture,
    worker: Worker,
    tmp_path: Path,
) -> None:
    request = tmp_path / "request.json"
    request.write_text(json.dumps(customer_request(numbers={"count": 1})))

    created = await starter(
        settings, "customers", "create", "--file", str(request),
        "--api-key", white_label.admin_key, "--json",
    )  # fmt: skip

    assert created.code == 0, created.stderr
    view = created.json()
    assert view["status"] == "active"
    shown = await starter(settings, "customers", "show", str(view["customer_id"]), "--json")
    assert shown.code == 0, shown.stderr
    assert shown.json()["numbers"] == [white_label.numbers[0]]
    human = await starter(settings, "customers", "show", str(view["customer_id"]))
    assert "active" in human.stdout
    assert white_label.numbers[0] in human.stdout
    assert await count(sessions, Customer, Customer.white_label_id == white_label.id) == 1


async def test_customers_create_reports_a_business_refusal(
    settings: Settings, white_label: WhiteLabelFixture, worker: Worker, tmp_path: Path
) -> None:
    request = tmp_path / "request.json"
    request.write_text(json.dumps(customer_request(numbers={"count": 50})))

    refused = await starter(
        settings, "customers", "create", "--file", str(request), "--api-key", white_label.admin_key
    )

    assert refused.code == 1
    assert "NumbersUnavailable" in refused.stderr


async def test_temporal_setup_registers_search_attributes_once(
    settings: Settings, client: Client
) -> None:
    namespace = f"setup-{uuid.uuid4().hex[:8]}"
    await client.workflow_service.register_namespace(
        RegisterNamespaceRequest(
            namespace=namespace, workflow_execution_retention_period=Duration(seconds=86400)
        )
    )
    for _ in range(50):  # a new namespace takes a moment to reach every service
        try:
            await client.operator_service.list_search_attributes(
                ListSearchAttributesRequest(namespace=namespace)
            )
            break
        except RPCError:
            await asyncio.sleep(0.2)

    first = await starter(settings, "temporal", "setup", "--json", TEMPORAL_NAMESPACE=namespace)
    assert first.code == 0, first.stderr
    second = await starter(settings, "temporal", "setup", "--json", TEMPORAL_NAMESPACE=namespace)

    assert first.json()["added"] == ["CustomerId", "SignupPath", "SignupStatus", "WhiteLabelId"]
    assert second.json()["added"] == []


async def test_db_upgrade_is_idempotent(settings: Settings) -> None:
    run = await starter(settings, "db", "upgrade", "--json")

    assert run.code == 0, run.stderr
    assert run.json() == {"revision": head_revision()}


async def test_set_payment_gateway_lets_a_white_label_take_cards(
    settings: Settings, sessions: SessionFactory
) -> None:
    created = await starter(
        settings, "wl", "create", "--name", "Cardless", "--admin-email",
        "ops@cardless.example.com", "--json",
    )  # fmt: skip
    wl = str(created.json()["white_label_id"])

    platform = await starter(
        settings, "wl", "set-payment-gateway", "--wl", wl, "--provider", "stripe", "--json"
    )
    connected = await starter(
        settings, "wl", "set-payment-gateway", "--wl", wl, "--provider", "stripe",
        "--stripe-account", "acct_1Reseller42", "--json",
    )  # fmt: skip
    bad = await starter(
        settings, "wl", "set-payment-gateway", "--wl", wl, "--provider", "stripe",
        "--stripe-account", "not-an-account",
    )  # fmt: skip

    assert platform.json() == {"white_label_id": wl, "provider": "stripe", "stripe_account": None}
    assert connected.json()["stripe_account"] == "acct_1Reseller42"
    assert bad.code == 2
    assert "--stripe-account" in bad.stderr
    async with sessions() as session:
        stored = await session.get_one(WhiteLabel, uuid.UUID(wl))
    assert stored.payment_gateway_account == "acct_1Reseller42"


async def test_wl_brand_sets_the_brand_from_options_and_a_logo_file(
    settings: Settings, sessions: SessionFactory, tmp_path: Path
) -> None:
    from tests.support.images import png

    created = await starter(
        settings, "wl", "create", "--name", "Branded", "--admin-email",
        "ops@branded.example.com", "--json",
    )  # fmt: skip
    wl = str(created.json()["white_label_id"])
    logo = tmp_path / "logo.png"
    logo.write_bytes(png())

    branded = await starter(
        settings, "wl", "brand", "--wl", wl, "--display-name", "Kea Comms", "--colour", "#7B2D8E",
        "--support-email", "help@kea.example.com", "--logo", str(logo), "--json",
    )  # fmt: skip
    reset = await starter(
        settings, "wl", "brand", "--wl", wl, "--reset", "support_email", "--reset", "logo_url",
        "--json",
    )  # fmt: skip
    bad_colour = await starter(settings, "wl", "brand", "--wl", wl, "--colour", "purple")
    text = tmp_path / "logo.txt"
    text.write_text("a logo, honestly")
    not_an_image = await starter(settings, "wl", "brand", "--wl", wl, "--logo", str(text))

    assert branded.code == 0, branded.stderr
    brand = branded.json()
    assert brand["display_name"] == "Kea Comms"
    assert brand["primary_colour"] == "#7b2d8e"
    assert brand["text_on_primary"] == "#ffffff"
    assert str(brand["logo_src"]).startswith(f"/brand/{wl}/logo?v=")
    assert reset.json()["support_email"] is None
    assert reset.json()["logo_src"] is None
    assert reset.json()["display_name"] == "Kea Comms"
    assert bad_colour.code == 2
    assert bad_colour.stderr.startswith("python -m starter: --colour:")
    assert not_an_image.code == 2
    assert "--logo: the logo must be a PNG, JPEG or GIF image" in not_an_image.stderr


async def test_the_cli_has_no_way_to_activate_a_self_serve_customer(settings: Settings) -> None:
    for command in (["customers", "activate"], ["customers", "pay"], ["customers", "token"]):
        run = await starter(settings, *command, str(uuid.uuid4()))
        assert run.code == 2
        assert "invalid choice" in run.stderr


async def test_an_operator_resends_and_cancels_a_stuck_signup_from_the_cli(
    settings: Settings,
    white_label: WhiteLabelFixture,
    api: httpx.AsyncClient,
    mail_sink: MailSink,
) -> None:
    signup = await start_signup(api, white_label)
    await mails_to(mail_sink, signup.email, 1)

    resent = await starter(
        settings, "customers", "resend", signup.customer_id, "--api-key", white_label.admin_key
    )
    await mails_to(mail_sink, signup.email, 2)
    by_staff = await starter(
        settings, "customers", "cancel", signup.customer_id, "--api-key", white_label.staff_key
    )
    cancelled = await starter(
        settings, "customers", "cancel", signup.customer_id,
        "--api-key", white_label.admin_key, "--json",
    )  # fmt: skip
    view = await until_status(api, white_label, signup.customer_id, "cancelled")
    again = await starter(
        settings, "customers", "cancel", signup.customer_id, "--api-key", white_label.admin_key
    )

    assert resent.code == 0, resent.stderr
    assert "new link sent" in resent.stdout
    assert by_staff.code == 2
    assert "Forbidden" in by_staff.stderr
    assert cancelled.code == 0, cancelled.stderr
    assert cancelled.json()["done"] == "cancellation requested"
    assert view["status"] == "cancelled"
    assert again.code == 2
    assert "SignupNotPending" in again.stderr


async def test_the_acting_key_comes_from_wl_api_key_so_it_stays_off_the_command_line(
    settings: Settings,
    white_label: WhiteLabelFixture,
    api: httpx.AsyncClient,
    mail_sink: MailSink,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A key on the command line shows in `ps` and shell history (issue 18, item 6)."""
    monkeypatch.delenv("WL_API_KEY", raising=False)
    signup = await start_signup(api, white_label)
    await mails_to(mail_sink, signup.email, 1)

    resent = await starter(
        settings, "customers", "resend", signup.customer_id, WL_API_KEY=white_label.admin_key
    )
    wrong = await starter(settings, "customers", "resend", signup.customer_id, WL_API_KEY="wlk_x")
    no_key = await starter(settings, "customers", "resend", signup.customer_id)

    assert resent.code == 0, resent.stderr
    assert "new link sent" in resent.stdout
    await mails_to(mail_sink, signup.email, 2)
    assert wrong.code == 2
    assert wrong.stderr == "python -m starter: WL_API_KEY: not a valid API key\n"
    assert no_key.code == 2
    assert "WL_API_KEY" in no_key.stderr


async def test_an_operator_converts_a_signup_then_invites_the_customer_to_take_over(
    settings: Settings,
    white_label: WhiteLabelFixture,
    api: httpx.AsyncClient,
    mail_sink: MailSink,
    tmp_path: Path,
) -> None:
    signup = await start_signup(api, white_label)
    await mails_to(mail_sink, signup.email, 1)
    body = tmp_path / "convert.json"
    body.write_text(json.dumps({"numbers": {"count": 1}}))

    converted = await starter(
        settings, "customers", "convert", signup.customer_id,
        "--api-key", white_label.admin_key, "--file", str(body),
    )  # fmt: skip
    invited = await starter(
        settings, "customers", "hand-over", signup.customer_id,
        "--api-key", white_label.admin_key, "--json",
    )  # fmt: skip
    await mails_to(mail_sink, signup.email, 3)
    withdrawn = await starter(
        settings, "customers", "hand-over", signup.customer_id,
        "--api-key", white_label.admin_key, "--withdraw",
    )  # fmt: skip
    again = await starter(
        settings, "customers", "convert", signup.customer_id, "--api-key", white_label.admin_key
    )

    assert converted.code == 0, converted.stderr
    assert "converted to wl_managed and active (numbers +64" in converted.stdout
    assert invited.code == 0, invited.stderr
    assert invited.json()["state"] == "invited"
    assert withdrawn.code == 0, withdrawn.stderr
    assert "invitation cancelled" in withdrawn.stdout
    assert again.code == 2
    assert "SignupNotPending" in again.stderr
    view = await customer(api, white_label, signup.customer_id)
    assert view["path"] == "wl_managed"
    assert [admin["kind"] for admin in view["account_administrators"]] == ["wl_administrator"]


async def test_an_operator_manages_a_white_labels_users_like_the_console_does(
    settings: Settings, white_label: WhiteLabelFixture, worker: Worker, mail_sink: MailSink
) -> None:
    wl = str(white_label.id)
    email = f"desk-{uuid.uuid4().hex[:6]}@reseller.example.com"
    invited = await starter(
        settings, "wl", "users", "invite", "--wl", wl, "--email", email, "--role", "staff",
        "--json",
    )  # fmt: skip
    await mails_to(mail_sink, email, 1)
    listed = await starter(settings, "wl", "users", "list", "--wl", wl)
    last_admin = await starter(
        settings, "wl", "users", "set-role", "--wl", wl, "--user", str(white_label.admin_user_id),
        "--role", "staff",
    )  # fmt: skip
    user_id = str(invited.json()["id"])
    promoted = await starter(
        settings, "wl", "users", "set-role", "--wl", wl, "--user", user_id, "--role",
        "administrator",
    )  # fmt: skip
    ended = await starter(
        settings, "wl", "users", "end-sessions", "--wl", wl, "--user", user_id, "--json"
    )
    removed = await starter(settings, "wl", "users", "remove", "--wl", wl, "--user", user_id)
    after = await starter(settings, "wl", "users", "list", "--wl", wl, "--json")

    assert invited.code == 0, invited.stderr
    assert invited.json()["state"] == "invited"
    assert "invited" in mail_sink.to(email)[0]["Subject"]
    assert email in listed.stdout
    assert "invitation until" in listed.stdout
    assert (last_admin.code, last_admin.stderr) == (
        2,
        "python -m starter: --role: the last administrator cannot be made staff: make another "
        "user administrator first [LastAdministrator]\n",
    )
    assert promoted.code == 0, promoted.stderr
    assert promoted.stdout == f"{email} is administrator\n"
    assert ended.json() == {"user_id": user_id, "sessions_ended": 0}
    assert removed.code == 0, removed.stderr
    assert email not in [user["email"] for user in after.json()["users"]]  # type: ignore[union-attr]
