"""Typed business refusals: the `type` of a non-retryable ApplicationError and of an API error."""

from enum import StrEnum


class BusinessError(StrEnum):
    CREDIT_LIMIT_EXCEEDED = "CreditLimitExceeded"
    NUMBERS_UNAVAILABLE = "NumbersUnavailable"
    PLAN_UNKNOWN = "PlanUnknown"
    PAYMENT_GATEWAY_MISSING = "PaymentGatewayMissing"
    INVALID_PBX_SETTINGS = "InvalidPbxSettings"
    CURRENCY_MISMATCH = "CurrencyMismatch"
    EMAIL_REJECTED = "EmailRejected"
    PAYMENT_METHOD_REFUSED = "PaymentMethodRefused"
    SIGNUP_NOT_PENDING = "SignupNotPending"


BUSINESS_ERROR_TYPES: frozenset[str] = frozenset(error.value for error in BusinessError)
