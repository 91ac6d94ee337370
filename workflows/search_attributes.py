"""Custom search attributes: ids and enums only, never PII."""

from temporalio.common import SearchAttributeKey

WHITE_LABEL_ID = SearchAttributeKey.for_keyword("WhiteLabelId")
CUSTOMER_ID = SearchAttributeKey.for_keyword("CustomerId")
SIGNUP_PATH = SearchAttributeKey.for_keyword("SignupPath")
SIGNUP_STATUS = SearchAttributeKey.for_keyword("SignupStatus")

ALL = (WHITE_LABEL_ID, CUSTOMER_ID, SIGNUP_PATH, SIGNUP_STATUS)
