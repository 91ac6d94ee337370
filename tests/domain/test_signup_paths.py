"""One seam per signup path: each path's rule names a workflow the worker runs, and the rule,
not the path's name, decides what the rest of the code does."""

import pytest
from temporalio import workflow

from domain.customer import CreateCustomerRequest
from domain.enums import AdministratorKind, CustomerStatus, SignupPath
from domain.examples import WL_MANAGED_REQUEST
from domain.signup_paths import SIGNUP_PATHS, rule_for
from worker import WORKFLOWS


def test_every_signup_path_has_a_rule() -> None:
    assert set(SIGNUP_PATHS) == set(SignupPath)
    assert all(rule.path is path for path, rule in SIGNUP_PATHS.items())


def test_every_signup_path_runs_a_workflow_the_worker_registers() -> None:
    registered = set()
    for each in WORKFLOWS:
        definition = workflow._Definition.from_class(each)
        assert definition is not None
        registered.add(definition.name)
    assert {rule.workflow for rule in SIGNUP_PATHS.values()} <= registered


def test_the_rules_say_what_the_help_article_says() -> None:
    self_serve, managed = rule_for("self_serve"), rule_for(SignupPath.WL_MANAGED)
    assert self_serve.needs_payment_gateway
    assert not managed.needs_payment_gateway
    assert self_serve.first_status is CustomerStatus.AWAITING_ACTIVATION
    assert managed.first_status is CustomerStatus.PROVISIONING
    assert self_serve.account_administrator is AdministratorKind.CUSTOMER_CONTACT
    assert managed.account_administrator is AdministratorKind.WL_ADMINISTRATOR


def test_only_a_path_configured_at_signup_takes_numbers_in_the_request() -> None:
    body = {**WL_MANAGED_REQUEST, "path": "self_serve"}
    with pytest.raises(ValueError, match="only a wl_managed signup may add numbers"):
        CreateCustomerRequest.model_validate(body)
    assert CreateCustomerRequest.model_validate(WL_MANAGED_REQUEST).numbers is not None
