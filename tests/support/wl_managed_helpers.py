"""Starting WL-managed signups straight on Temporal, without the API in front."""

import uuid

from temporalio.client import Client

from domain.customer import CreateCustomerRequest
from domain.signup import SignupResult, WlManagedSignupInput, workflow_id_for
from tests.conftest import WhiteLabelFixture, customer_request
from workflows.wl_managed import WlManagedSignupWorkflow


def signup_input(white_label: WhiteLabelFixture, **overrides: object) -> WlManagedSignupInput:
    return WlManagedSignupInput(
        customer_id=uuid.uuid4(),
        white_label_id=white_label.id,
        requested_by_user_id=white_label.admin_user_id,
        request=CreateCustomerRequest.model_validate(customer_request(**overrides)),
    )


async def run_signup(client: Client, task_queue: str, data: WlManagedSignupInput) -> SignupResult:
    return await client.execute_workflow(
        WlManagedSignupWorkflow.run,
        data,
        id=workflow_id_for(data.customer_id),
        task_queue=task_queue,
    )
