"""What each way of creating a customer means, in one table the rest of the code reads.

The services, the views, bulk onboarding, request validation and the erasure of abandoned
signups ask this table ("does this path need a payment gateway?") instead of branching on the
path's name, so a new path is a new entry here plus its workflow (docs/extending.md).
"""

from dataclasses import dataclass

from domain.enums import AdministratorKind, BillingMode, CustomerStatus, SignupPath


@dataclass(frozen=True)
class SignupPathRule:
    path: SignupPath
    workflow: str
    """The registered name of the workflow that runs a signup of this path."""
    summary: str
    """How the Temporal UI names such a signup (its static summary starts with this)."""
    first_status: CustomerStatus
    """The customer's status from the moment the account row is written."""
    needs_payment_gateway: bool
    """The customer pays by card, so the white label must take cards."""
    billing: BillingMode
    account_administrator: AdministratorKind
    """Who becomes Account Administrator when the signup completes."""
    configured_at_signup: bool
    """The administrator may add numbers and PBX settings in the create request."""
    waits_for_customer: bool
    """The signup waits for the customer's activation, so it can expire or be cancelled,
    and its contact data is erased once abandoned for the retention period."""


SIGNUP_PATHS: dict[SignupPath, SignupPathRule] = {
    SignupPath.SELF_SERVE: SignupPathRule(
        path=SignupPath.SELF_SERVE,
        workflow="SelfServeSignupWorkflow",
        summary="Self-serve signup",
        first_status=CustomerStatus.AWAITING_ACTIVATION,
        needs_payment_gateway=True,
        billing=BillingMode.CUSTOMER_CARD,
        account_administrator=AdministratorKind.CUSTOMER_CONTACT,
        configured_at_signup=False,
        waits_for_customer=True,
    ),
    SignupPath.WL_MANAGED: SignupPathRule(
        path=SignupPath.WL_MANAGED,
        workflow="WlManagedSignupWorkflow",
        summary="WL-managed signup",
        first_status=CustomerStatus.PROVISIONING,
        needs_payment_gateway=False,
        billing=BillingMode.WL_ACCOUNT,
        account_administrator=AdministratorKind.WL_ADMINISTRATOR,
        configured_at_signup=True,
        waits_for_customer=False,
    ),
}


def rule_for(path: SignupPath | str) -> SignupPathRule:
    """The rule of a path, given as the enum or as stored in the database."""
    return SIGNUP_PATHS[SignupPath(path)]


CONFIGURED_AT_SIGNUP = [path for path, rule in SIGNUP_PATHS.items() if rule.configured_at_signup]
WAITING_FOR_CUSTOMER = [path for path, rule in SIGNUP_PATHS.items() if rule.waits_for_customer]
PAID_BY_CARD = [path for path, rule in SIGNUP_PATHS.items() if rule.needs_payment_gateway]
