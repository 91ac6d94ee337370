"""The production stack's compose file: valid, and complete for what the app reads."""

import subprocess
import sys
from pathlib import Path

from ruamel.yaml import YAML

from domain.settings import Settings

ROOT = Path(__file__).parent.parent
COMPOSE = ROOT / "docker-compose.yml"
APP_SERVICES = ("migrate", "temporal-setup", "worker", "api")


def test_the_compose_file_follows_the_compose_specification() -> None:
    checked = subprocess.run(
        [
            str(Path(sys.executable).parent / "check-jsonschema"),
            "--builtin-schema",
            "vendor.compose-spec",
            str(COMPOSE),
        ],
        capture_output=True,
        text=True,
        check=False,
    )

    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_variable_the_app_reads_is_set_for_every_app_service() -> None:
    services = YAML(typ="safe").load(COMPOSE.read_text())["services"]
    variables = {name.upper() for name in Settings.model_fields}

    missing = {
        service: sorted(variables - set(services[service]["environment"]))
        for service in APP_SERVICES
    }

    assert missing == {service: [] for service in APP_SERVICES}


def test_the_stack_comes_up_in_order_and_the_worker_can_scale() -> None:
    services = YAML(typ="safe").load(COMPOSE.read_text())["services"]

    def waits_for(service: str) -> dict[str, str]:
        return {name: rule["condition"] for name, rule in services[service]["depends_on"].items()}

    assert waits_for("worker")["migrate"] == "service_completed_successfully"
    assert waits_for("worker")["temporal-setup"] == "service_completed_successfully"
    assert waits_for("migrate")["postgres"] == "service_healthy"
    assert waits_for("temporal-setup")["temporal"] == "service_healthy"
    assert all("healthcheck" in services[name] for name in ("postgres", "temporal", "api"))
    # A fixed container name or host port would stop `--scale worker=3`.
    assert "container_name" not in services["worker"]
    assert "ports" not in services["worker"]
