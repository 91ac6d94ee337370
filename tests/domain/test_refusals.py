"""One refusal vocabulary: every code has its status and meaning in one table, and the API's
routes leave turning a refusal into an answer to the one handler."""

import ast
from pathlib import Path

import pytest

from domain.errors import BUSINESS_ERROR_TYPES, REFUSALS, BusinessError, Refused

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("code", list(BusinessError))
def test_every_refusal_code_has_a_client_error_status_and_a_meaning(code: BusinessError) -> None:
    rule = REFUSALS[code]
    assert 400 <= rule.http_status < 500
    assert rule.meaning


def test_what_the_workflows_refuse_with_is_what_the_services_read_back_as_business() -> None:
    assert {
        "CreditLimitExceeded",
        "NumbersUnavailable",
        "PlanUnknown",
        "PaymentGatewayMissing",
        "InvalidPbxSettings",
        "CurrencyMismatch",
        "EmailRejected",
        "PaymentMethodRefused",
        "SignupNotPending",
    } == BUSINESS_ERROR_TYPES


def test_a_refusal_reads_as_its_code_then_its_message() -> None:
    refused = Refused(BusinessError.PLAN_UNKNOWN, "plan_code: this white label has no plan 'x'")
    assert str(refused) == "PlanUnknown: plan_code: this white label has no plan 'x'"
    assert refused.rule.http_status == 422
    assert refused.rule.field == "plan_code"


def _handlers_of_refusals(path: Path) -> list[int]:
    tree = ast.parse(path.read_text())
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.ExceptHandler)
        and node.type is not None
        and "Refused" in ast.unparse(node.type)
    ]


def test_no_route_catches_a_refusal_itself() -> None:
    caught = {
        str(path.relative_to(ROOT)): lines
        for path in sorted((ROOT / "starter" / "api").glob("*.py"))
        if (lines := _handlers_of_refusals(path))
    }
    assert caught == {}


def test_the_api_reference_lists_every_refusal_with_its_status() -> None:
    reference = (ROOT / "docs" / "api.md").read_text()
    missing = [
        code.value
        for code, rule in REFUSALS.items()
        if f"| `{code.value}` | {rule.http_status} | {rule.meaning} |" not in reference
    ]
    assert missing == []
