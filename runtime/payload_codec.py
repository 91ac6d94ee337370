"""Encrypting what the service hands Temporal, so its history holds no readable customer data.

Workflow inputs carry the customer's contact, business and addresses; unless encryption is
switched off (`TEMPORAL_ENCRYPTION=off`), every payload (inputs, results, signals, updates, queries,
and failure messages and details) leaves this process sealed with AES-256-GCM. Each sealed
payload names the key that sealed it, so a new key can take over while histories sealed with
the old one (listed in `TEMPORAL_ENCRYPTION_PREVIOUS_KEYS`) stay readable. Payloads that were
never sealed (written before encryption was turned on) pass through unchanged.
"""

import dataclasses
import hashlib
import logging
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
)

from domain.settings import Settings

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12


class UndecryptablePayload(ValueError):
    """A sealed payload this process has no key for, or one that was tampered with."""


def key_id(key: bytes) -> str:
    """Derived from the key itself, so rotating needs no second setting to keep in step.

    It is SHA-256 of the raw key, cut short, so an operator holding a key can tell whether it is
    the one a payload names: `echo "$KEY" | base64 -d | sha256sum | cut -c1-16`.
    """
    return hashlib.sha256(key).hexdigest()[:16]


class AesGcmCodec(PayloadCodec):
    def __init__(self, key: bytes, previous_keys: Sequence[bytes] = ()) -> None:
        self._key_id = key_id(key)
        self._sealing = AESGCM(key)
        self._opening = {key_id(each): AESGCM(each) for each in (key, *previous_keys)}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._seal(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._open(payload) for payload in payloads]

    def _seal(self, payload: Payload) -> Payload:
        nonce = os.urandom(NONCE_BYTES)
        # The key id is authenticated too: a payload cannot be relabelled to another key.
        sealed = self._sealing.encrypt(nonce, payload.SerializeToString(), self._key_id.encode())
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID: self._key_id.encode()}, data=nonce + sealed
        )

    def _open(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        sealed_with = payload.metadata.get(KEY_ID, b"").decode(errors="replace")
        opener = self._opening.get(sealed_with)
        if opener is None:
            raise UndecryptablePayload(
                f"payload sealed with key id {sealed_with!r}, which is neither "
                "TEMPORAL_ENCRYPTION_KEY nor one of TEMPORAL_ENCRYPTION_PREVIOUS_KEYS"
            )
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        try:
            plain = opener.decrypt(nonce, sealed, sealed_with.encode())
        except InvalidTag:
            raise UndecryptablePayload(
                f"payload sealed with key id {sealed_with!r} fails authentication"
            ) from None
        return Payload.FromString(plain)


def codec_for(settings: Settings) -> AesGcmCodec | None:
    """The codec every Temporal client of the service uses; None only with
    `TEMPORAL_ENCRYPTION=off`. Raises ConfigurationError when encryption is on without a key,
    so no process can start handing Temporal readable customer data by omission."""
    key = settings.required_encryption_key()
    if key is None:
        return None
    return AesGcmCodec(key, settings.temporal_encryption_previous_key_bytes())


def sealed_converter(codec: AesGcmCodec | None) -> DataConverter:
    """The project's pydantic converter, sealed by `codec` (unsealed for None)."""
    if codec is None:
        return pydantic_data_converter
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=codec,
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def data_converter_for(settings: Settings) -> DataConverter:
    return sealed_converter(codec_for(settings))


UNSEALED_WARNING = (
    "TEMPORAL_ENCRYPTION=off: payloads go to Temporal unsealed, so every workflow history "
    "holds customer contact, business and address data in clear"
)


def warn_if_unsealed(settings: Settings, log: logging.Logger) -> None:
    """Said once at start by every long-running process, so nobody runs unsealed unawares."""
    if not settings.temporal_encryption:
        log.warning(UNSEALED_WARNING)
