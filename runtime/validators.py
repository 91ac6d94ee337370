"""Warming the validators up before a worker's first workflow runs."""

from domain.customer import CreateCustomerRequest
from domain.examples import WL_MANAGED_REQUEST


def warm_up_validators() -> None:
    """Loads the validators' lazily read data (pycountry opens its database on first use).

    The Temporal sandbox forbids file access, so a worker must do this before its first
    workflow decodes a request.
    """
    CreateCustomerRequest.model_validate(WL_MANAGED_REQUEST)
