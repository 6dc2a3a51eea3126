"""coindaily-auth over HTTP: minting tokens, rejecting bad requests, publishing its keys."""

from __future__ import annotations

import json
import time
from typing import Iterable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

import jwtutil
from cdstack import ADMIN_KEY, HTTP, Stack, binary, child_env, free_port
from security_support import metric, wait_for_audit


def test_mint_token_returns_a_signed_jwt_with_the_contract_claims(stack: Stack) -> None:
    before = int(time.time())
    resp = stack.post_token({"sub": "alice", "roles": ["user", "editor"], "ttl": 3600})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) >= {"token", "refreshToken", "expiresAt"}, body
    assert isinstance(body["refreshToken"], str) and body["refreshToken"], body

    header, claims, signature = jwtutil.decode(body["token"])
    assert header["alg"] == "EdDSA", header
    assert isinstance(header.get("kid"), str) and header["kid"], header
    assert claims["sub"] == "alice"
    assert claims["roles"] == ["user", "editor"]
    assert claims["iss"] == "coindaily-auth"
    assert claims["aud"] == "coindaily-ws" or claims["aud"] == ["coindaily-ws"], claims
    assert isinstance(claims["jti"], str) and claims["jti"], claims
    assert before - 5 <= claims["iat"] <= time.time() + 5, claims
    assert abs(claims["exp"] - claims["iat"] - 3600) <= 1, claims
    assert len(signature) == 64, "an Ed25519 signature is 64 bytes"

    expires_at = body["expiresAt"]
    assert isinstance(expires_at, (int, float)) and not isinstance(expires_at, bool), body
    # Unix milliseconds (as in auth_success) or seconds; either way the token's exp.
    assert abs(expires_at - claims["exp"] * 1000) <= 1000 or abs(expires_at - claims["exp"]) <= 1, body


def test_jwks_publishes_the_key_that_verifies_minted_tokens(stack: Stack) -> None:
    token = stack.mint("jwks-check", ["user"])
    header, _, signature = jwtutil.decode(token)

    resp = HTTP.get(f"{stack.auth_url}/.well-known/jwks.json", timeout=5)
    assert resp.status_code == 200, resp.text
    keys = resp.json()["keys"]
    assert isinstance(keys, list) and keys, resp.text
    matching = [k for k in keys if k.get("kid") == header["kid"]]
    assert len(matching) == 1, f"kid {header['kid']} not (once) in {keys}"
    jwk = matching[0]
    assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519", jwk
    assert "d" not in jwk, "the JWKS must not contain the private key"

    public_key = Ed25519PublicKey.from_public_bytes(jwtutil.b64url_decode(jwk["x"]))
    signing_input = token.rsplit(".", 1)[0].encode()
    public_key.verify(signature, signing_input)  # raises InvalidSignature if not


@pytest.mark.parametrize("key", [None, "wrong-admin-key", ""], ids=["no-header", "wrong-key", "empty-key"])
def test_mint_token_without_the_admin_key_is_401(stack: Stack, key: str | None) -> None:
    resp = stack.post_token({"sub": "mallory", "roles": ["admin"], "ttl": 3600}, key=key)
    assert resp.status_code == 401, f"{resp.status_code}: {resp.text}"
    assert "token" not in resp.text


@pytest.mark.parametrize("raw", [
    b"not json",
    b"",
    b"[]",
    b'"alice"',
    json.dumps({"roles": ["user"], "ttl": 60}).encode(),                   # no sub
    json.dumps({"sub": 42, "roles": ["user"], "ttl": 60}).encode(),        # sub not a string
    json.dumps({"sub": "alice", "roles": "user", "ttl": 60}).encode(),     # roles not an array
    json.dumps({"sub": "alice", "roles": [1, 2], "ttl": 60}).encode(),     # roles not strings
    json.dumps({"sub": "alice", "roles": ["user"], "ttl": "1h"}).encode(),  # ttl not a number
    json.dumps({"sub": "alice", "roles": ["user"], "ttl": -5}).encode(),   # ttl negative
], ids=["not-json", "empty", "array", "string", "no-sub", "sub-number", "roles-string", "roles-numbers",
        "ttl-string", "ttl-negative"])
def test_mint_token_with_a_bad_body_is_400_invalid_request(stack: Stack, raw: bytes) -> None:
    resp = stack.post_token(None, raw=raw)
    assert resp.status_code == 400, f"{resp.status_code}: {resp.text}"
    error = resp.json()["error"]
    assert error["code"] == "INVALID_REQUEST", error
    assert isinstance(error["message"], str) and error["message"], error


def test_auth_service_health_and_metrics(stack: Stack) -> None:
    assert HTTP.get(f"{stack.auth_url}/healthz", timeout=5).status_code == 200
    metrics = HTTP.get(f"{stack.auth_url}/metrics", timeout=5)
    assert metrics.status_code == 200
    assert "# TYPE " in metrics.text, metrics.text[:500]


def test_auth_refuses_to_start_without_an_admin_key_outside_dev_mode(stack: Stack) -> None:
    proc = stack.start_extra("auth-no-key", [
        binary("coindaily-auth"), "--host", "127.0.0.1", "--port", str(free_port()),
        "--key-dir", str(stack.root / "auth-keys-no-key"), "--redis-url", stack.redis_url,
    ], env=child_env())
    status = proc.wait(15)
    assert status is not None, "coindaily-auth without --dev and without an admin key kept running"
    assert status == 64, f"exit status {status}; output:\n{proc.log_text()}"
    assert "admin" in proc.log_text().lower(), f"the message should say the admin key is missing:\n{proc.log_text()}"


# ---- refresh-token rotation, reuse detection, revocation ----------------------------------------------

def _refresh(stack: Stack, refresh_token: str) -> "requests.Response":
    return HTTP.post(f"{stack.auth_url}/v1/refresh", json={"refreshToken": refresh_token}, timeout=5)


def _revoke(stack: Stack, body: object, key: str | None = ADMIN_KEY) -> "requests.Response":
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    return HTTP.post(f"{stack.auth_url}/v1/revoke", json=body, headers=headers, timeout=5)


def test_refresh_rotates_within_the_family(stack: Stack) -> None:
    first = stack.post_token({"sub": "interop-refresh", "roles": ["user"], "ttl": 600}).json()
    resp = _refresh(stack, first["refreshToken"])
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["refreshToken"] != first["refreshToken"]
    _, old_claims, _ = jwtutil.decode(first["token"])
    _, claims, _ = jwtutil.decode(body["token"])
    assert claims["sub"] == "interop-refresh" and claims["roles"] == ["user"], claims
    assert claims["jti"] != old_claims["jti"]
    assert claims.get("fam") and claims["fam"] == old_claims.get("fam"), (claims, old_claims)
    assert _refresh(stack, body["refreshToken"]).status_code == 200


def test_refresh_token_reuse_revokes_the_family_and_its_tokens(stack: Stack) -> None:
    first = stack.post_token({"sub": "interop-reuse", "roles": ["user"], "ttl": 600}).json()
    second = _refresh(stack, first["refreshToken"]).json()
    reused = _refresh(stack, first["refreshToken"])
    assert reused.status_code == 401, reused.text
    assert reused.json()["error"]["code"] == "REFRESH_TOKEN_REUSED", reused.text
    assert "refreshToken" not in reused.text
    after = _refresh(stack, second["refreshToken"])
    assert after.status_code == 401 and after.json()["error"]["code"] == "INVALID_REFRESH_TOKEN", after.text

    client = stack.redis()
    try:
        revoked = client.hgetall("cd:auth:revoked:jti")
    finally:
        client.close()
    for token in (first["token"], second["token"]):
        _, claims, _ = jwtutil.decode(token)
        assert revoked.get(claims["jti"]) == str(claims["exp"] * 1000), (claims["jti"], revoked)


def test_revoke_by_jti_and_by_sub(stack: Stack) -> None:
    assert _revoke(stack, {"jti": "interop-jti"}, key=None).status_code == 401
    assert _revoke(stack, {"jti": "interop-jti"}, key="wrong").status_code == 401
    bad = _revoke(stack, {"nothing": 1})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "INVALID_REQUEST", bad.text

    client = stack.redis()
    pubsub = client.pubsub()
    try:
        pubsub.subscribe("cd:auth:revocations")
        pubsub.get_message(timeout=2)  # the subscribe confirmation
        resp = _revoke(stack, {"jti": "interop-jti", "exp": 4102444800000})
        assert resp.status_code == 200, resp.text
        assert resp.json()["revoked"] == {"jti": "interop-jti", "exp": 4102444800000}
        assert client.hget("cd:auth:revoked:jti", "interop-jti") == "4102444800000"
        message = pubsub.get_message(timeout=5)
        assert message and json.loads(message["data"]) == {"jti": "interop-jti", "exp": 4102444800000}, message

        minted = stack.post_token({"sub": "interop-revoked-user", "roles": ["user"], "ttl": 600}).json()
        resp = _revoke(stack, {"sub": "interop-revoked-user"})
        assert resp.status_code == 200, resp.text
        revoked = resp.json()["revoked"]
        assert revoked["sub"] == "interop-revoked-user" and revoked["families"] == 1, revoked
        assert client.hget("cd:auth:revoked:sub", "interop-revoked-user") == str(revoked["before"])
        message = pubsub.get_message(timeout=5)
        assert message and json.loads(message["data"]) == {"sub": "interop-revoked-user", "before": revoked["before"]}
        refused = _refresh(stack, minted["refreshToken"])
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "INVALID_REFRESH_TOKEN", refused.text
    finally:
        pubsub.close()
        client.close()


# ---- audit lines and counters ---------------------------------------------------------------------------

AUDIT_COUNTER = "coindaily_auth_audit_events_total"


def _audit_counts(stack: Stack, events: Iterable[str]) -> dict[str, float]:
    """``coindaily_auth_audit_events_total{event}`` of each of ``events``, from the auth service's /metrics."""
    return {event: metric(stack.auth_url, AUDIT_COUNTER, event=event) for event in events}


def test_audit_lines_and_counters_name_the_user_and_never_a_token(stack: Stack) -> None:
    """Issuing, refreshing, reusing a refresh token, revoking and a wrong admin key each write one ``audit=<event>``
    line naming the user (``user.id``) and the token's ``jti`` where there is one, and count it in
    ``coindaily_auth_audit_events_total{event}``. Bad input: a refresh token used twice, a wrong admin key. Gets:
    ``refresh.reuse_detected`` / ``admin_key.rejected`` lines. No access or refresh token appears in any log of the
    stack (auth, gateway, sentiment), not even at the debug level the stack runs at."""
    sub = f"interop-audit-{time.time_ns()}"
    expected = {"token.issued": 2, "token.refreshed": 1, "refresh.reuse_detected": 1, "token.revoked": 1,
                "admin_key.rejected": 1}
    before = _audit_counts(stack, expected)
    first = stack.post_token({"sub": sub, "roles": ["user"], "ttl": 600}).json()
    second = _refresh(stack, first["refreshToken"]).json()
    assert _refresh(stack, first["refreshToken"]).status_code == 401  # reused
    third = stack.post_token({"sub": sub, "roles": ["user"], "ttl": 600}).json()
    _, claims, _ = jwtutil.decode(third["token"])
    assert _revoke(stack, {"jti": claims["jti"], "exp": claims["exp"]}).status_code == 200
    assert stack.post_token({"sub": sub, "roles": ["user"]}, key="not-the-admin-key").status_code == 401

    deadline = time.monotonic() + 5
    while True:
        after = _audit_counts(stack, expected)
        deltas = {event: after[event] - before[event] for event in expected}
        if deltas == expected or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert deltas == expected, f"audit counters moved by {deltas}"
    auth = stack.procs["auth"]
    for event, needle in (("token.issued", f"user.id={sub}"), ("token.refreshed", f"user.id={sub}"),
                          ("refresh.reuse_detected", f"user.id={sub}"), ("token.revoked", claims["jti"]),
                          ("token.issued", f"token.jti={claims['jti']}"), ("admin_key.rejected", "/v1/tokens")):
        wait_for_audit(auth, event, 0, where=needle)  # at least one such line

    secrets = [first["token"], first["refreshToken"], second["token"], second["refreshToken"], third["token"],
               third["refreshToken"]]
    for name in ("auth", "gateway", "sentiment"):
        text = stack.procs[name].log_text()
        leaked = [s[:12] + "…" for s in secrets if s in text]
        assert not leaked, f"{name}.log holds tokens: {leaked}"
