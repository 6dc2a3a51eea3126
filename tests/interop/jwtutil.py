"""Reading and crafting JWTs for the tests (no JWT library: the point is to see the bytes)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ISSUER = "coindaily-auth"
AUDIENCE = "coindaily-ws"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def decode(token: str) -> tuple[dict, dict, bytes]:
    """(header, claims, signature) of a compact JWS, unverified."""
    header, claims, signature = token.split(".")
    return json.loads(b64url_decode(header)), json.loads(b64url_decode(claims)), b64url_decode(signature)


def claims(sub: str, roles: list[str], ttl: int = 3600, **override: Any) -> dict:
    now = int(time.time())
    base = {"sub": sub, "roles": roles, "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + ttl,
            "jti": str(uuid.uuid4())}
    base.update(override)
    return base


def _signing_input(header: dict, payload: dict) -> bytes:
    return f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}".encode()


def hs256(payload: dict, secret: str) -> str:
    signing_input = _signing_input({"alg": "HS256", "typ": "JWT"}, payload)
    signature = hmac.new(secret.encode(), signing_input, hashlib.sha256).digest()
    return f"{signing_input.decode()}.{b64url(signature)}"


def eddsa(payload: dict, key: Ed25519PrivateKey, kid: str | None) -> str:
    header = {"alg": "EdDSA", "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    signing_input = _signing_input(header, payload)
    return f"{signing_input.decode()}.{b64url(key.sign(signing_input))}"


def alg_none(payload: dict) -> str:
    return f"{_signing_input({'alg': 'none', 'typ': 'JWT'}, payload).decode()}."


def with_claims_replaced(token: str, **changes: Any) -> str:
    """The same header and signature over a changed payload (a forgery the signature must catch)."""
    header, payload, signature = token.split(".")
    body = json.loads(b64url_decode(payload))
    body.update(changes)
    return f"{header}.{b64url(json.dumps(body).encode())}.{signature}"
