"""Every business refusal the service gives, in one table: its code, its HTTP status, what it
means, and the request field it is about.

A code is the `type` of a non-retryable `ApplicationError` when an activity or workflow
refuses, and the `error.type` of the API's answer, the CLI's one line and the bulk report's
row when an application service does. The API turns `Refused` into its answer in one
exception handler (starter/api/errors.py); nothing else maps codes to statuses.
"""

from dataclasses import dataclass
from enum import StrEnum


class BusinessError(StrEnum):
    # The signup workflows and their activities refuse with these.
    CREDIT_LIMIT_EXCEEDED = "CreditLimitExceeded"
    NUMBERS_UNAVAILABLE = "NumbersUnavailable"
    PLAN_UNKNOWN = "PlanUnknown"
    PAYMENT_GATEWAY_MISSING = "PaymentGatewayMissing"
    INVALID_PBX_SETTINGS = "InvalidPbxSettings"
    CURRENCY_MISMATCH = "CurrencyMismatch"
    EMAIL_REJECTED = "EmailRejected"
    EMAIL_NOT_BUILDABLE = "EmailNotBuildable"
    PAYMENT_METHOD_REFUSED = "PaymentMethodRefused"
    SIGNUP_NOT_PENDING = "SignupNotPending"
    # The application services refuse with these before anything starts.
    FORBIDDEN = "Forbidden"
    NOT_FOUND = "NotFound"
    IDEMPOTENCY_KEY_REUSED = "IdempotencyKeyReused"
    ACCOUNT_NOT_HANDOVERABLE = "AccountNotHandoverable"
    ALREADY_HANDED_OVER = "AlreadyHandedOver"
    HANDOVER_CLOSED = "HandoverClosed"
    WEBHOOK_ENDPOINT_LIMIT = "WebhookEndpointLimit"
    USER_EXISTS = "UserExists"
    LAST_ADMINISTRATOR = "LastAdministrator"


@dataclass(frozen=True)
class RefusalRule:
    http_status: int
    meaning: str
    """What the refusal means, for the docs and anyone reading a code they do not know."""
    field: str = ""
    """The request field the refusal is about ("" for the request as a whole)."""
    raised_by_signups: bool = False
    """The signup workflows and their activities refuse with it (an `ApplicationError` type);
    the services read it back from a failed signup or a refused update."""


REFUSALS: dict[BusinessError, RefusalRule] = {
    BusinessError.CREDIT_LIMIT_EXCEEDED: RefusalRule(
        422,
        "the charges would take the WL's billing account over its credit limit",
        raised_by_signups=True,
    ),
    BusinessError.NUMBERS_UNAVAILABLE: RefusalRule(
        422,
        "the WL's inventory has not got the numbers asked for",
        "numbers",
        raised_by_signups=True,
    ),
    BusinessError.PLAN_UNKNOWN: RefusalRule(
        422, "the WL has no plan with this code", "plan_code", raised_by_signups=True
    ),
    BusinessError.PAYMENT_GATEWAY_MISSING: RefusalRule(
        422,
        "a self-serve signup needs the WL to take cards, and it does not",
        "path",
        raised_by_signups=True,
    ),
    BusinessError.INVALID_PBX_SETTINGS: RefusalRule(
        422, "the PBX refused these settings", "pbx_settings", raised_by_signups=True
    ),
    BusinessError.CURRENCY_MISMATCH: RefusalRule(
        422, "the plan's currency is not the WL's billing currency", raised_by_signups=True
    ),
    BusinessError.EMAIL_REJECTED: RefusalRule(
        422, "the mail relay refused the message for good", raised_by_signups=True
    ),
    BusinessError.EMAIL_NOT_BUILDABLE: RefusalRule(
        422, "a stored value cannot go into an email (a control character in a header)"
    ),
    BusinessError.PAYMENT_METHOD_REFUSED: RefusalRule(
        422, "the card cannot be used for this payment", raised_by_signups=True
    ),
    BusinessError.SIGNUP_NOT_PENDING: RefusalRule(
        409, "the signup is no longer waiting for its customer", raised_by_signups=True
    ),
    BusinessError.FORBIDDEN: RefusalRule(403, "only a WL administrator may do this"),
    BusinessError.NOT_FOUND: RefusalRule(404, "the caller's white label has nothing by this id"),
    BusinessError.IDEMPOTENCY_KEY_REUSED: RefusalRule(
        409, "this Idempotency-Key was used before with a different request", "idempotency_key"
    ),
    BusinessError.ACCOUNT_NOT_HANDOVERABLE: RefusalRule(
        409, "only an active WL-managed account can be handed over"
    ),
    BusinessError.ALREADY_HANDED_OVER: RefusalRule(
        409, "the customer already administers this account"
    ),
    BusinessError.HANDOVER_CLOSED: RefusalRule(
        409, "the invitation was accepted, withdrawn or has expired"
    ),
    BusinessError.WEBHOOK_ENDPOINT_LIMIT: RefusalRule(
        409, "the white label has as many webhook endpoints as it may (disable one first)"
    ),
    BusinessError.USER_EXISTS: RefusalRule(
        409, "the address is already a user of this white label", "email"
    ),
    BusinessError.LAST_ADMINISTRATOR: RefusalRule(
        409,
        "the white label's last administrator can be neither removed nor made staff",
        "role",
    ),
}

BUSINESS_ERROR_TYPES: frozenset[str] = frozenset(
    code.value for code, rule in REFUSALS.items() if rule.raised_by_signups
)
"""The `ApplicationError` types that mean "the business said no", not "something broke"."""


class Refused(Exception):
    """An application service will not carry the request out; `code` tells the caller why."""

    def __init__(self, code: BusinessError, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def rule(self) -> RefusalRule:
        return REFUSALS[self.code]

    def __str__(self) -> str:
        return f"{self.code.value}: {self.message}"
