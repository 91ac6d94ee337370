"""Configuration from environment variables, validated once at start-up.

A bad value stops the process with one line naming the variable (see `load_settings`),
and secrets are `SecretStr` so they never show in a repr or a log line.
"""

import sys
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

Port = Annotated[int, Field(ge=1, le=65535)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    database_url: str = "sqlite+aiosqlite:///.data/app.db"

    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    temporal_task_queue: str = "customer-signups"
    temporal_ui_url: str = "http://localhost:8233"

    smtp_host: str = "localhost"
    smtp_port: Port = 1025
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    mail_from: str = "Customer Provisioning <no-reply@localhost>"

    public_base_url: str = "http://localhost:8000"
    api_host: str = "127.0.0.1"
    api_port: Port = 8000
    api_wait_seconds: float = Field(
        default=30.0,
        gt=0,
        description="How long POST /v1/customers waits for a wl_managed signup to finish.",
    )
    dev_mode: bool = False
    dev_mail_dir: Path = Path(".data/mail")

    def temporal_ui_link(self, workflow_id: str) -> str:
        base = self.temporal_ui_url.rstrip("/")
        return f"{base}/namespaces/{self.temporal_namespace}/workflows/{workflow_id}"


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
