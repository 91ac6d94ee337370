"""Configuration from environment variables, validated once at start-up.

A bad value stops the process with one line naming the variable (see `load_settings`),
and secrets are `SecretStr` so they never show in a repr or a log line.
"""

import base64
import re
import sys
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Port = Annotated[int, Field(ge=1, le=65535)]

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_SHORT_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")


def _parse_duration(value: Any) -> Any:
    """Accepts "90s", "30m", "24h", "7d" besides what pydantic reads (seconds, ISO 8601)."""
    if isinstance(value, str) and (match := _SHORT_DURATION.match(value)):
        return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})
    return value


Duration = Annotated[timedelta, BeforeValidator(_parse_duration)]
MIN_SECRET_BYTES = 32


AES_KEY_BYTES = 32


def _aes_key(value: SecretStr) -> bytes:
    """Standard or URL-safe base64 of exactly 32 bytes; the message never shows the value."""
    text = value.get_secret_value().strip().replace("-", "+").replace("_", "/")
    try:
        key = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except ValueError:
        raise ValueError(f"must be base64 of {AES_KEY_BYTES} random bytes") from None
    if len(key) != AES_KEY_BYTES:
        raise ValueError(f"must be base64 of {AES_KEY_BYTES} random bytes")
    return key


class ConfigurationError(RuntimeError):
    """A setting a process needs is missing; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", frozen=True, env_ignore_empty=True
    )

    database_url: str = "sqlite+aiosqlite:///.data/app.db"

    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    temporal_task_queue: str = "customer-signups"
    temporal_ui_url: str = "http://localhost:8233"
    temporal_tls: bool = Field(
        default=False, description="Connect with TLS (implied by a client certificate or API key)."
    )
    temporal_tls_cert: Path | None = Field(
        default=None, description="Client certificate (PEM file) for mTLS."
    )
    temporal_tls_key: Path | None = Field(
        default=None, description="Client certificate's private key (PEM file) for mTLS."
    )
    temporal_tls_ca: Path | None = Field(
        default=None, description="CA certificate (PEM file) of the server, if not a public one."
    )
    temporal_api_key: SecretStr | None = Field(
        default=None, description="API key, e.g. for Temporal Cloud."
    )

    log_format: Literal["json", "text"] = Field(
        default="json", description="json: one object per line; text: for a terminal."
    )
    worker_shutdown_grace: Duration = Field(
        default=timedelta(seconds=30),
        description="After SIGTERM, how long in-flight activities get to finish.",
    )
    worker_metrics_address: str | None = Field(
        default=None,
        description="host:port where the worker serves Prometheus metrics (SDK and signups).",
    )

    smtp_host: str = "localhost"
    smtp_port: Port = 1025
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    mail_from: str = "Customer Provisioning <no-reply@localhost>"
    mail_envelope_from: str | None = Field(
        default=None,
        description="the envelope sender (bounces go here); default: MAIL_FROM's address",
    )
    mail_verified_sender_domains: Annotated[list[str], NoDecode] = Field(
        default=[],
        description="domains a white label may send from (comma-separated); others get the "
        "platform's address with their name",
    )

    public_base_url: str = "http://localhost:8000"
    api_host: str = "127.0.0.1"
    api_port: Port = 8000
    api_wait_seconds: float = Field(
        default=30.0,
        gt=0,
        description="How long POST /v1/customers waits for a wl_managed signup to finish.",
    )
    dev_mode: bool = False
    webhook_allow_private_targets: bool = Field(
        default=False,
        description="development and tests only: webhooks may use plain http and reach "
        "loopback and private addresses (never in production)",
    )
    webhook_max_endpoints_per_wl: int = Field(default=10, ge=1, le=1000)
    webhook_delivery_concurrency: int = Field(
        default=10,
        ge=1,
        description="deliveries one worker runs at once, on their own task queue, so slow "
        "endpoints never hold the slots signups need",
    )
    dev_mail_dir: Path = Path(".data/mail")

    activation_secret: SecretStr | None = None
    activation_ttl: Duration = timedelta(days=7)
    activation_reminders: Annotated[list[Duration], NoDecode] = [
        timedelta(hours=24),
        timedelta(hours=72),
    ]
    payment_ttl: Duration = timedelta(hours=48)
    handover_ttl: Duration = Field(
        default=timedelta(days=7),
        description="How long an invitation to take over an account's administration works.",
    )
    erasure_retention: Duration = Field(
        default=timedelta(days=30),
        description="How long an expired or cancelled self-serve signup keeps its contact data.",
    )

    console_sign_in_ttl: Duration = Field(
        default=timedelta(minutes=15),
        description="How long an emailed console sign-in link works (once).",
    )
    console_invitation_ttl: Duration = Field(
        default=timedelta(days=7),
        description="How long an emailed invitation to the console works (once).",
    )
    console_session_idle: Duration = Field(
        default=timedelta(minutes=30),
        description="A console session ends after this long without a request.",
    )
    console_session_max: Duration = Field(
        default=timedelta(hours=12),
        description="A console session ends this long after signing in, however busy.",
    )
    console_sign_in_per_address: str = Field(
        default="20/15 minutes",
        description="Console sign-in links one client address may ask for.",
    )
    console_sign_in_per_email: str = Field(
        default="5/15 minutes",
        description="Console sign-in links anyone may ask for one email address.",
    )

    activation_requests_per_address: str = Field(
        default="300/minute",
        description="Requests one client address may make to the activation pages.",
    )
    activation_failures_per_address: str = Field(
        default="20/15 minutes",
        description="Bad or stale links one client address may present before a pause.",
    )
    activation_failures_per_customer: str = Field(
        default="10/15 minutes",
        description="Bad or stale links presented for one customer before a pause.",
    )
    api_rate_limit: str = Field(
        default="50/second",
        description="Requests one API key may make to /v1 before a 429 with Retry-After.",
    )
    rate_limit_storage: str = Field(
        default="async+memory://",
        description="Where the counters live (a `limits` storage URI, e.g. async+redis://...).",
    )
    forwarded_allow_ips: str = Field(
        default="127.0.0.1",
        description="Proxies whose X-Forwarded-For names the client address.",
    )

    temporal_encryption: bool = Field(
        default=True,
        description="Seal every payload the service gives Temporal (the default). `off` lets "
        "the worker and API run without a key, with customer data readable in every history.",
    )
    temporal_encryption_key: SecretStr | None = Field(
        default=None,
        description="32 random bytes, base64: seals every payload the service gives Temporal.",
    )
    temporal_encryption_previous_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="Keys retired by a rotation, still used to read older histories.",
    )
    operator_api_key: SecretStr | None = Field(
        default=None,
        description="Bearer key of the codec endpoints the Temporal UI calls.",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token `GET /metrics` of the API asks for (set it in production).",
    )

    stripe_secret_key: SecretStr | None = None
    stripe_publishable_key: str | None = None
    stripe_api_base: str | None = Field(
        default=None, description="Another Stripe API base, e.g. localstripe in development."
    )
    stripe_webhook_secret: SecretStr | None = None
    stripe_webhook_previous_secret: SecretStr | None = Field(
        default=None,
        description="While rotating the webhook secret: the old one, still accepted.",
    )

    def stripe_webhook_secrets(self) -> list[str]:
        """Every secret a webhook may be signed with: the current one, then the old one."""
        return [
            secret.get_secret_value()
            for secret in (self.stripe_webhook_secret, self.stripe_webhook_previous_secret)
            if secret is not None
        ]

    @field_validator(
        "activation_reminders",
        "temporal_encryption_previous_keys",
        "mail_verified_sender_domains",
        mode="before",
    )
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part for part in (item.strip() for item in value.split(",")) if part]
        return value

    @field_validator("temporal_encryption_key", "temporal_encryption_previous_keys")
    @classmethod
    def _aes_keys(cls, value: SecretStr | list[SecretStr] | None) -> Any:
        for key in value if isinstance(value, list) else [value] if value else []:
            _aes_key(key)
        return value

    def temporal_encryption_key_bytes(self) -> bytes:
        if self.temporal_encryption_key is None:
            raise ConfigurationError("TEMPORAL_ENCRYPTION_KEY: not set")
        return _aes_key(self.temporal_encryption_key)

    def temporal_encryption_previous_key_bytes(self) -> list[bytes]:
        return [_aes_key(key) for key in self.temporal_encryption_previous_keys]

    @model_validator(mode="after")
    def _certificate_with_its_key(self) -> "Settings":
        if (self.temporal_tls_cert is None) != (self.temporal_tls_key is None):
            raise ValueError("TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together")
        for path in (self.temporal_tls_cert, self.temporal_tls_key, self.temporal_tls_ca):
            if path is not None and not path.is_file():
                raise ValueError(f"{path} is not a readable file")
        return self

    @field_validator("activation_secret", "operator_api_key", "metrics_token")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"must be at least {MIN_SECRET_BYTES} bytes")
        return value

    @field_validator(
        "activation_requests_per_address",
        "activation_failures_per_address",
        "activation_failures_per_customer",
        "api_rate_limit",
        "console_sign_in_per_address",
        "console_sign_in_per_email",
    )
    @classmethod
    def _rate(cls, value: str) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError:
            raise ValueError("must be a rate like 10/15 minutes") from None
        return value

    @field_validator(
        "activation_ttl",
        "payment_ttl",
        "handover_ttl",
        "erasure_retention",
        "console_sign_in_ttl",
        "console_invitation_ttl",
        "console_session_idle",
        "console_session_max",
    )
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be a positive duration")
        return value

    @property
    def envelope_sender(self) -> str:
        """Where bounces go: MAIL_ENVELOPE_FROM, else MAIL_FROM's address."""
        return self.mail_envelope_from or parseaddr(self.mail_from)[1]

    def required_activation_secret(self) -> bytes:
        if self.activation_secret is None:
            raise ConfigurationError(
                "ACTIVATION_SECRET: required (at least 32 random bytes, e.g. from "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
            )
        return self.activation_secret.get_secret_value().encode()

    def required_encryption_key(self) -> bytes | None:
        """The key that seals Temporal payloads; None only when encryption is switched off."""
        if not self.temporal_encryption:
            if self.temporal_encryption_key is not None:
                raise ConfigurationError(
                    "TEMPORAL_ENCRYPTION=off and TEMPORAL_ENCRYPTION_KEY set: remove one of them"
                )
            return None
        if self.temporal_encryption_key is None:
            raise ConfigurationError(
                "TEMPORAL_ENCRYPTION_KEY: required, because workflow histories carry customer "
                'data (base64 of 32 random bytes, e.g. from `python -c "import base64, os; '
                'print(base64.b64encode(os.urandom(32)).decode())"`); '
                "TEMPORAL_ENCRYPTION=off runs without one, with that data readable"
            )
        return self.temporal_encryption_key_bytes()

    @property
    def stripe_configured(self) -> bool:
        return self.stripe_secret_key is not None and self.stripe_publishable_key is not None

    @property
    def stripe_js_url(self) -> str:
        """localstripe serves its fake Stripe.js under the same path as the real one."""
        if self.stripe_api_base:
            return self.stripe_api_base.rstrip("/") + "/js.stripe.com/v3/"
        return "https://js.stripe.com/v3/"

    def temporal_ui_link(self, workflow_id: str) -> str:
        base = self.temporal_ui_url.rstrip("/")
        return f"{base}/namespaces/{self.temporal_namespace}/workflows/{workflow_id}"

    def shown_temporal_ui_link(self, workflow_id: str) -> str | None:
        """The link API answers carry: only where the operator set TEMPORAL_UI_URL, so a
        reseller never learns an internal host from the default."""
        if "temporal_ui_url" not in self.model_fields_set:
            return None
        return self.temporal_ui_link(workflow_id)


def describe_validation_error(error: ValidationError) -> str:
    """One line naming each bad variable, without echoing its (possibly secret) value."""
    problems = []
    for item in error.errors():
        variable = "_".join(str(part) for part in item["loc"]).upper() or "configuration"
        problems.append(f"{variable}: {item['msg']}")
    return "configuration error: " + "; ".join(problems)


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        print(describe_validation_error(error), file=sys.stderr)
        raise SystemExit(2) from None
