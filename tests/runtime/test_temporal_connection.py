"""Reaching a real cluster from configuration alone: mTLS files, or an API key."""

from pathlib import Path

import pytest
from pydantic import ValidationError
from temporalio.service import TLSConfig

from domain.settings import Settings, describe_validation_error
from runtime.temporal import tls_config


def pem(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_bytes(f"-----BEGIN {name}-----\n".encode())
    return path


def test_client_certificate_files_become_mutual_tls(tmp_path: Path) -> None:
    settings = Settings(
        temporal_tls_cert=pem(tmp_path, "cert"),
        temporal_tls_key=pem(tmp_path, "key"),
        temporal_tls_ca=pem(tmp_path, "ca"),
    )

    tls = tls_config(settings)

    assert isinstance(tls, TLSConfig)
    assert tls.client_cert == b"-----BEGIN cert-----\n"
    assert tls.client_private_key == b"-----BEGIN key-----\n"
    assert tls.server_root_ca_cert == b"-----BEGIN ca-----\n"


def test_an_api_key_implies_tls_and_nothing_configured_means_plaintext() -> None:
    assert tls_config(Settings(temporal_api_key="tcld-key")) is True  # type: ignore[arg-type]
    assert tls_config(Settings(temporal_tls=True)) is True
    assert tls_config(Settings()) is False


@pytest.mark.parametrize(
    ("variables", "complaint"),
    [
        ({"temporal_tls_cert": "cert"}, "TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together"),
        ({"temporal_tls_cert": "missing", "temporal_tls_key": "key"}, "is not a readable file"),
    ],
)
def test_incomplete_tls_settings_are_refused_at_start(
    tmp_path: Path, variables: dict[str, str], complaint: str
) -> None:
    pem(tmp_path, "cert")
    pem(tmp_path, "key")
    paths = {name: tmp_path / value for name, value in variables.items()}

    with pytest.raises(ValidationError) as refused:
        Settings(**paths)  # type: ignore[arg-type]

    assert complaint in describe_validation_error(refused.value)
