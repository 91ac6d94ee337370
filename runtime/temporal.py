"""Connecting to Temporal with the project's data converter."""

from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.service import TLSConfig

from domain.settings import Settings
from runtime.payload_codec import data_converter_for


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
