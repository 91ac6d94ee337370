"""Connecting to Temporal with the project's data converter."""

from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.service import RPCError, RPCStatusCode, TLSConfig

from domain.settings import Settings
from starter.payload_codec import data_converter_for


def tls_config(settings: Settings) -> TLSConfig | bool:
    """mTLS from certificate files, plain TLS for an API key (Temporal Cloud), else none."""
    if settings.temporal_tls_cert is not None and settings.temporal_tls_key is not None:
        return TLSConfig(
            client_cert=settings.temporal_tls_cert.read_bytes(),
            client_private_key=settings.temporal_tls_key.read_bytes(),
            server_root_ca_cert=(
                settings.temporal_tls_ca.read_bytes() if settings.temporal_tls_ca else None
            ),
        )
    if settings.temporal_tls_ca is not None:
        return TLSConfig(server_root_ca_cert=settings.temporal_tls_ca.read_bytes())
    return settings.temporal_tls or settings.temporal_api_key is not None


async def connect(settings: Settings, runtime: Runtime | None = None) -> Client:
    api_key = settings.temporal_api_key
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter_for(settings),
        runtime=runtime,
        tls=tls_config(settings),
        api_key=api_key.get_secret_value() if api_key else None,
    )


def metrics_runtime(settings: Settings) -> Runtime | None:
    """A runtime serving the SDK's metrics, and what workflows and activities record, to
    Prometheus; None leaves the default runtime (no endpoint)."""
    if settings.worker_metrics_address is None:
        return None
    return Runtime(
        telemetry=TelemetryConfig(
            metrics=PrometheusConfig(bind_address=settings.worker_metrics_address)
        )
    )


async def register_search_attributes(client: Client, namespace: str) -> list[str]:
    """Registers every custom search attribute the workflows use; returns those it added."""
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import (
        AddSearchAttributesRequest,
        ListSearchAttributesRequest,
    )

    from workflows.search_attributes import ALL

    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
        existing = set(listed.custom_attributes)
    except RPCError as error:
        # The time-skipping test server can add search attributes but not list them.
        if error.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        existing = set()
    missing = {
        key.name: IndexedValueType.ValueType(key.indexed_value_type)
        for key in ALL
        if key.name not in existing
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )
    return sorted(missing)
