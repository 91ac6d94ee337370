"""The small vocabularies that the database, the workflows and the API all speak."""

from enum import StrEnum


class SignupPath(StrEnum):
    SELF_SERVE = "self_serve"
    WL_MANAGED = "wl_managed"


class CustomerStatus(StrEnum):
    PROVISIONING = "provisioning"
    AWAITING_ACTIVATION = "awaiting_activation"
    AWAITING_PAYMENT = "awaiting_payment"
    ACTIVE = "active"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class UserRole(StrEnum):
    ADMINISTRATOR = "administrator"
    STAFF = "staff"


class AdministratorKind(StrEnum):
    """Who holds the Account Administrator role of a customer account."""

    WL_ADMINISTRATOR = "wl_administrator"
    CUSTOMER_CONTACT = "customer_contact"


class BillingMode(StrEnum):
    WL_ACCOUNT = "wl_account"
    CUSTOMER_CARD = "customer_card"


class NumberStatus(StrEnum):
    AVAILABLE = "available"
    ASSIGNED = "assigned"
