"""The real CoinDaily Realtime stack on free loopback ports, for the interop tests (see conftest.py).

``Stack.start`` starts, from COINDAILY_BIN_DIR (default .build/debug):

* ``redis-server`` on a free port, nothing persisted;
* ``coindaily-auth --dev`` with a key directory under the test's temp dir;
* ``coindaily-sentiment --emit-interval-ms 1000`` without the simulator, so the tests control every input;
* ``coindaily-gateway --auth-timeout-ms 1500`` with an HS256 secret as well (for crafted tokens).

Each process writes stdout+stderr to ``<tmp>/logs/<name>.log``; the tail of every log is attached to the
report of any failed test (conftest.py). Every process is killed if pytest dies.

Token symbols the tests use, so that "did my input cause this?" stays answerable:

* ``BTC``: the workhorse, ingested through HTTP by many tests (always with positive scores);
* ``ETH``: only the Redis-stream test ingests it (it checks ETH had no data before);
* ``SOL``: never ingested until the Redis-restart test, which runs last; rejected ingests use it to show
  that nothing of a rejected batch was applied.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Callable, Iterable

import pytest
import redis as redis_lib
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN_DIR = Path(os.environ.get("COINDAILY_BIN_DIR") or REPO_ROOT / ".build" / "debug")
ADMIN_KEY = "dev-admin-key"  # the auth service's default in --dev mode
JWT_SECRET = "interop-hs256-secret-6f2b9c1d0e8a4f7b"
LOG_LEVEL = os.environ.get("COINDAILY_TEST_LOG_LEVEL", "debug")
AUTH_TIMEOUT_MS = 1500
EMIT_INTERVAL_MS = 1000
STARTUP_DEADLINE = float(os.environ.get("COINDAILY_TEST_STARTUP_SECONDS", "60"))
INGEST_STREAM = "cd:ingest:sentiment"

# Loopback only: never route through a proxy from the environment.
HTTP = requests.Session()
HTTP.trust_env = False

# Environment variables the binaries read; removed from the children's environment so that only the
# flags below configure them.
_CONFIG_ENV = (
    "REDIS_URL", "LOG_LEVEL", "GATEWAY_HOST", "GATEWAY_PORT", "GATEWAY_AUTH_TIMEOUT_MS",
    "GATEWAY_IDLE_TIMEOUT_MS", "GATEWAY_PING_INTERVAL_MS", "GATEWAY_MAX_MESSAGE_BYTES",
    "GATEWAY_MAX_FRAME_BYTES", "GATEWAY_MAX_OUTBOUND_BYTES", "JWT_SECRET", "AUTH_HOST", "AUTH_PORT",
    "COINDAILY_ADMIN_KEY", "COINDAILY_DEV", "AUTH_KEY_DIR", "SENTIMENT_HOST", "SENTIMENT_PORT",
    "SENTIMENT_SIMULATE", "SENTIMENT_EMIT_INTERVAL_MS", "COINDAILY_AUTH_URL",
)


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _CONFIG_ENV}
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    """Runs in the child before exec: SIGKILL it when pytest dies, so no process outlives a crashed run.
    (Linux ties this to the thread that started the child: start processes from the main thread.)"""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def now_ms() -> int:
    return int(time.time() * 1000)


class Proc:
    """One child process with its output in a log file."""

    def __init__(self, name: str, argv: list[str], log_dir: Path, env: dict[str, str] | None = None):
        self.name = name
        self.argv = argv
        self.env = env if env is not None else child_env()
        self.log_path = log_dir / f"{name}.log"
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> "Proc":
        with open(self.log_path, "ab") as log:
            log.write(f"==== {time.strftime('%H:%M:%S')} start: {' '.join(self.argv)}\n".encode())
            log.flush()
            self.popen = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=self.env, cwd=self.log_path.parent, preexec_fn=_die_with_parent,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def returncode(self) -> int | None:
        return None if self.popen is None else self.popen.poll()

    def signal(self, sig: int) -> None:
        if self.alive():
            assert self.popen is not None
            self.popen.send_signal(sig)

    def wait(self, timeout: float) -> int | None:
        assert self.popen is not None
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout``; returns the exit status."""
        if self.popen is None:
            return None
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            if self.wait(timeout) is None:
                self.popen.kill()
                self.wait(5)
        return self.popen.returncode

    def kill(self) -> None:
        if self.alive():
            assert self.popen is not None
            self.popen.kill()
            self.popen.wait(5)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 150) -> str:
        text = self.log_text().splitlines()
        return "\n".join(text[-lines:])


def wait_until(what: str, check: Callable[[], bool], timeout: float, watch: Iterable[Proc] = (),
               interval: float = 0.1) -> None:
    """Poll ``check`` until true; fail early when a watched process exits, or at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except Exception:  # noqa: BLE001 - a failing probe just means "not yet"
            pass
        for proc in watch:
            if not proc.alive():
                raise RuntimeError(
                    f"{proc.name} exited with status {proc.returncode()} while waiting for {what}\n"
                    f"---- {proc.log_path} ----\n{proc.log_tail()}"
                )
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def http_status(url: str, timeout: float = 2.0) -> int:
    return HTTP.get(url, timeout=timeout).status_code


def redis_ping(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
        s.sendall(b"PING\r\n")
        return s.recv(64).startswith(b"+PONG")


def binary(name: str) -> str:
    path = BIN_DIR / name
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(
            f"{path} not found: build first (`swift build`, or `make test`), or point COINDAILY_BIN_DIR "
            f"at the directory holding coindaily-gateway, coindaily-auth and coindaily-sentiment",
            pytrace=False,
        )
    return str(path)


class Stack:
    """The running services and helpers to talk to them."""

    def __init__(self, root: Path):
        self.root = root
        self.log_dir = root / "logs"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.redis_port = free_port()
        self.auth_port = free_port()
        self.sentiment_port = free_port()
        self.gateway_port = free_port()
        self.procs: dict[str, Proc] = {}
        self.extra_procs: list[Proc] = []
        self._redis_starts = 0
        self._redis_dir = root

    # ---- addresses -----------------------------------------------------------------------------------

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}"

    @property
    def auth_url(self) -> str:
        return f"http://127.0.0.1:{self.auth_port}"

    @property
    def sentiment_url(self) -> str:
        return f"http://127.0.0.1:{self.sentiment_port}"

    @property
    def gateway_http(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.gateway_port}/ws"

    # ---- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> None:
        self.start_redis()
        keys = self.root / "auth-keys"
        keys.mkdir(exist_ok=True)
        auth = self._spawn("auth", [
            binary("coindaily-auth"), "--host", "127.0.0.1", "--port", str(self.auth_port), "--dev",
            "--key-dir", str(keys), "--redis-url", self.redis_url, "--log-level", LOG_LEVEL,
        ])
        wait_until("auth /healthz", lambda: http_status(f"{self.auth_url}/healthz") == 200,
                   STARTUP_DEADLINE, [auth])
        sentiment = self._spawn("sentiment", [
            binary("coindaily-sentiment"), "--host", "127.0.0.1", "--port", str(self.sentiment_port),
            "--emit-interval-ms", str(EMIT_INTERVAL_MS), "--redis-url", self.redis_url,
            "--log-level", LOG_LEVEL,
        ])
        gateway = self._spawn("gateway", self.gateway_argv(self.gateway_port))
        wait_until("sentiment /healthz", lambda: http_status(f"{self.sentiment_url}/healthz") == 200,
                   STARTUP_DEADLINE, [sentiment])
        wait_until("gateway /readyz", lambda: http_status(f"{self.gateway_http}/readyz") == 200,
                   STARTUP_DEADLINE, [gateway, auth])

    def gateway_argv(self, port: int, redis_url: str | None = None) -> list[str]:
        """The gateway's command line on ``port``, on the stack's Redis or on ``redis_url``."""
        return [
            binary("coindaily-gateway"), "--host", "127.0.0.1", "--port", str(port),
            "--auth-timeout-ms", str(AUTH_TIMEOUT_MS), "--jwt-secret", JWT_SECRET,
            "--redis-url", redis_url or self.redis_url, "--log-level", LOG_LEVEL,
        ]

    def _spawn(self, name: str, argv: list[str]) -> Proc:
        proc = Proc(name, argv, self.log_dir).start()
        self.procs[name] = proc
        return proc

    def start_extra(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Proc:
        """A process owned by one test (stopped at the end of the session at the latest)."""
        proc = Proc(name, argv, self.log_dir, env).start()
        self.extra_procs.append(proc)
        return proc

    def start_private_redis(self, name: str) -> tuple[Proc, int]:
        """A redis-server of one test's own (empty, no persistence) on a free port, owned by the calling test, and
        its port; not waited for (``wait_until(..., redis_ping(port))``)."""
        port = free_port()
        data = self.root / f"{name}-{port}"
        data.mkdir()
        proc = self.start_extra(name, [
            shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", str(data)])
        return proc, port

    def start_gateway(self, name: str, env: dict[str, str] | None = None, timeout: float = STARTUP_DEADLINE,
                      redis_port: int | None = None) -> tuple[Proc, int]:
        """Another gateway on a free port sharing this stack's Redis (or the one on ``redis_port``, e.g. from
        ``start_private_redis``), with extra environment variables (e.g. ``GATEWAY_MAX_OUTBOUND_BYTES``), owned by
        the calling test; returns it and its port once ready (stopped again if it does not get ready). Call it from
        the main thread (see ``_die_with_parent``), not through ``asyncio.to_thread``."""
        port = free_port()
        redis_url = None if redis_port is None else f"redis://127.0.0.1:{redis_port}"
        proc = self.start_extra(name, self.gateway_argv(port, redis_url), child_env(**(env or {})))
        try:
            wait_until(f"{name} /readyz", lambda: http_status(f"http://127.0.0.1:{port}/readyz") == 200, timeout,
                       [proc])
        except BaseException:
            proc.stop(5)
            raise
        return proc, port

    def redis_data_dir(self) -> Path:
        """The directory of the running redis-server (where ``SAVE`` writes dump.rdb)."""
        return self._redis_dir

    def start_redis(self, data_dir: Path | None = None, append_only: bool = False) -> None:
        """Starts redis-server on the stack's port; with ``data_dir`` (e.g. ``redis_data_dir()`` of the previous
        run) it loads what was saved there (dump.rdb, or with ``append_only`` the append-only file), otherwise it
        starts empty in a new directory."""
        redis_server = shutil.which("redis-server") or "/usr/bin/redis-server"
        self._redis_starts += 1
        data = data_dir or self.root / f"redis-{self._redis_starts}"
        data.mkdir(exist_ok=True)
        self._redis_dir = data
        proc = self._spawn("redis", [
            redis_server, "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "yes" if append_only else "no", "--dir", str(data),
        ])
        wait_until(f"redis on port {self.redis_port}", lambda: redis_ping(self.redis_port), 20, [proc])

    def kill_redis(self) -> None:
        self.procs["redis"].kill()

    def stop(self) -> None:
        for proc in self.extra_procs:
            proc.stop(5)
        for name in ("gateway", "sentiment", "auth", "redis"):
            if name in self.procs:
                self.procs[name].stop(10)

    def logs_report(self, lines: int = 120) -> str:
        parts = [f"logs in {self.log_dir}"]
        for proc in [*self.procs.values(), *self.extra_procs]:
            state = "running" if proc.alive() else f"exited with {proc.returncode()}"
            parts.append(f"---- {proc.name} ({state}), last {lines} lines of {proc.log_path} ----")
            parts.append(proc.log_tail(lines))
        return "\n".join(parts)

    # ---- auth service --------------------------------------------------------------------------------

    def post_token(self, body: object, key: str | None = ADMIN_KEY, raw: bytes | None = None) -> requests.Response:
        headers = {"Content-Type": "application/json"}
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        data = raw if raw is not None else json.dumps(body).encode()
        return HTTP.post(f"{self.auth_url}/v1/tokens", data=data, headers=headers, timeout=5)

    def mint(self, sub: str, roles: Iterable[str] = ("user",), ttl: int = 3600) -> str:
        resp = self.post_token({"sub": sub, "roles": list(roles), "ttl": ttl})
        assert resp.status_code == 200, f"POST /v1/tokens -> {resp.status_code}: {resp.text}"
        token = resp.json()["token"]
        assert isinstance(token, str) and token.count(".") == 2, token
        return token

    # ---- sentiment producer --------------------------------------------------------------------------

    def ingest(self, body: object, raw: bytes | None = None) -> requests.Response:
        data = raw if raw is not None else json.dumps(body).encode()
        return HTTP.post(f"{self.sentiment_url}/v1/ingest", data=data,
                             headers={"Content-Type": "application/json"}, timeout=5)

    def ingest_ok(self, body: object) -> None:
        resp = self.ingest(body)
        assert resp.status_code == 202, f"POST /v1/ingest -> {resp.status_code}: {resp.text}"

    def redis(self) -> redis_lib.Redis:
        return redis_lib.Redis(host="127.0.0.1", port=self.redis_port, socket_timeout=5,
                               socket_connect_timeout=5, decode_responses=True)

    def xadd_ingest(self, payload: object) -> str:
        client = self.redis()
        try:
            return client.xadd(INGEST_STREAM, {"payload": json.dumps(payload)})
        finally:
            client.close()


def signal_item(token: str, source: str = "social", score: float = 0.8, weight: float = 1.0,
                timestamp: int | None = None) -> dict:
    return {"token": token, "source": source, "score": score, "weight": weight,
            "timestamp": now_ms() if timestamp is None else timestamp}


def price_item(token: str, price: float, timestamp: int | None = None) -> dict:
    return {"token": token, "price": price, "timestamp": now_ms() if timestamp is None else timestamp}


def bullish_batch(token: str) -> list[dict]:
    """A strongly positive signal from every source plus a price tick."""
    items = [signal_item(token, source, score) for source, score in
             (("social", 0.9), ("news", 0.8), ("whale", 0.85), ("technical", 0.7))]
    items.append(price_item(token, 65000.0 if token == "BTC" else 150.0))
    return items
