"""Custom search attributes: ids and enums only, never PII."""

import uuid

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

WHITE_LABEL_ID = SearchAttributeKey.for_keyword("WhiteLabelId")
CUSTOMER_ID = SearchAttributeKey.for_keyword("CustomerId")
SIGNUP_PATH = SearchAttributeKey.for_keyword("SignupPath")
SIGNUP_STATUS = SearchAttributeKey.for_keyword("SignupStatus")

ALL = (WHITE_LABEL_ID, CUSTOMER_ID, SIGNUP_PATH, SIGNUP_STATUS)


def for_customer(
    white_label_id: uuid.UUID, customer_id: uuid.UUID, *more: SearchAttributePair[str]
) -> TypedSearchAttributes:
    """What every workflow about one customer carries, so an operator finds them all (the
    signup, a hand-over) by white label and customer."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(WHITE_LABEL_ID, str(white_label_id)),
            SearchAttributePair(CUSTOMER_ID, str(customer_id)),
            *more,
        ]
    )
