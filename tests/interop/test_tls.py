"""The gateway serving TLS itself (issue 5, part 5): ``--tls-cert`` / ``--tls-key`` (PEM files), ``wss://`` and
``https://`` on the same port, and a certificate replaced on disk is used by the next connection without a
restart. A TLS handshake with a plain ``ws://`` client, and plain HTTP to the TLS port, are refused without
harming the gateway.

Certificates are made here with the openssl command line (self-signed, so clients skip verification and
compare the certificate they got instead).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from cdstack import Stack, binary, child_env, free_port, wait_until
from delivery_support import hs256_token



def make_cert(directory: Path, name: str, common_name: str) -> tuple[Path, Path]:
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={common_name}",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True)
    return cert, key


def served_certificate(port: int) -> bytes:
    """The DER certificate the gateway presents to a new connection."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            return tls.getpeercert(binary_form=True)


def der(cert: Path) -> bytes:
    return subprocess.run(["openssl", "x509", "-in", str(cert), "-outform", "DER"], check=True,
                          capture_output=True).stdout


def https_status(port: int, path: str) -> int:
    import requests  # noqa: PLC0415 - only here
    try:
        return requests.get(f"https://127.0.0.1:{port}{path}", verify=False, timeout=2).status_code
    except requests.RequestException:
        return 0


@pytest.fixture()
def tls_gateway(stack: Stack, tmp_path: Path):
    cert, key = make_cert(tmp_path, "live", "first.coindaily.test")
    port = free_port()
    argv = stack.gateway_argv(port) + ["--tls-cert", str(cert), "--tls-key", str(key)]
    proc = stack.start_extra("gateway-tls", argv, child_env())
    wait_until("TLS gateway /readyz", lambda: https_status(port, "/readyz") == 200, 30, [proc])
    yield port, cert, key, tmp_path, proc
    proc.stop()


async def test_wss_serves_the_plain_protocol(tls_gateway) -> None:
    """A wss:// client authenticates and subscribes as over ws://; https:// serves /healthz."""
    port, *_ = tls_gateway
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    async with connect(f"wss://127.0.0.1:{port}/ws", ssl=context) as ws:
        await ws.send(json.dumps({"type": "auth", "token": hs256_token("tls-user")}))
        reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert reply["type"] == "auth_success" and reply["data"]["userId"] == "tls-user", reply
        await ws.send(json.dumps({"type": "ping", "id": "p1"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "pong"
    assert https_status(port, "/healthz") == 200


async def test_plain_client_on_the_tls_port_is_refused_and_the_gateway_lives(tls_gateway) -> None:
    """Plain HTTP / ws:// to the TLS port gets no WebSocket (the TLS handshake fails); the gateway keeps serving."""
    port, *_ = tls_gateway
    with pytest.raises(Exception):
        async with connect(f"ws://127.0.0.1:{port}/ws", open_timeout=3) as ws:
            await ws.recv()
    assert https_status(port, "/healthz") == 200


async def test_replaced_certificate_is_used_by_the_next_connection(tls_gateway) -> None:
    """The files are watched: after replacing them, a new connection gets the new certificate (no restart);
    broken files keep the old one."""
    port, cert, key, directory, proc = tls_gateway
    assert served_certificate(port) == der(cert)
    new_cert, new_key = make_cert(directory, "next", "second.coindaily.test")
    # Replace the watched files in place (atomically, as a deploy tool would).
    os.replace(new_key, key)
    os.replace(new_cert, cert)
    deadline = time.monotonic() + 15
    while served_certificate(port) != der(cert):
        assert time.monotonic() < deadline, "the gateway still serves the old certificate 15 s after the files changed"
        await asyncio.sleep(0.5)
    # Garbage in the files: the current certificate stays, the gateway keeps serving.
    current = der(cert)
    cert.write_text("not a certificate\n")
    await asyncio.sleep(7)
    assert served_certificate(port) == current
    assert proc.alive()
