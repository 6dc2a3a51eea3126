"""python-socketio (``socketio.AsyncClient``, a client nobody here wrote) against the gateway's Socket.IO
endpoint: the same port and path as the plain protocol (``/ws/?EIO=4&...``), for test_socketio_client.py.

Every event the server sends is recorded in order with its arguments (a catch-all handler), so that a test
can wait for an event after a point it marked, and check that an event did *not* come.

Connection state recovery (issue 6): the gateway appends each pushed event's id (its offset,
``<epoch>:<ms>-<seq>``) as the LAST argument unless the CONNECT auth says ``"offsets": false``. The recorder
strips that trailing offset (a string matching ``OFFSET_RE`` as last of at least two arguments) into
``last_offset`` (and ``offsets``, in arrival order, with the event's position in ``events``), so the recorded
arguments are the event's own; ``pid`` is taken from the ``auth_success`` data (python-socketio hides the
CONNECT reply that carries it).
"""

from __future__ import annotations

import asyncio
import re
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Callable

import socketio

from wsclient import now_ms


# An event id as the gateway appends it (EventID: epoch of [0-9a-z], position <ms>-<seq>).
OFFSET_RE = re.compile(r"^[0-9a-z]+:\d+-\d+$")


class SioClient:
    """A ``socketio.AsyncClient`` with everything it receives recorded."""

    def __init__(self, **client_options: Any):
        _quiet_engineio_loops(asyncio.get_running_loop())
        client_options.setdefault("reconnection", False)
        self.sio = socketio.AsyncClient(**client_options)
        self.events: list[tuple[str, tuple]] = []  # (event, args) in arrival order
        self.connects = 0
        self.disconnects = 0
        self.connect_errors: list[tuple] = []
        self.disconnected_at: float | None = None
        self.last_offset: str | None = None  # the offset of the last event that carried one
        self.offsets: list[tuple[int, str]] = []  # (index in self.events, offset), in arrival order
        self.pid: str | None = None  # from the last auth_success carrying one

        @self.sio.on("*")
        async def _any(event: str, *args: Any) -> None:
            if len(args) >= 2 and isinstance(args[-1], str) and OFFSET_RE.match(args[-1]):
                self.last_offset = args[-1]
                self.offsets.append((len(self.events), args[-1]))
                args = args[:-1]
            if event == "auth_success" and args and isinstance(args[0], dict) and isinstance(args[0].get("pid"), str):
                self.pid = args[0]["pid"]
            self.events.append((event, args))

        @self.sio.event
        async def connect() -> None:
            self.connects += 1

        @self.sio.event
        async def connect_error(*args: Any) -> None:
            self.connect_errors.append(args)

        @self.sio.event
        async def disconnect() -> None:  # python-socketio 5.11 passes no reason (see the test module)
            self.disconnects += 1
            self.disconnected_at = time.monotonic()

    # ---- connecting ------------------------------------------------------------------------------------------

    async def connect(self, url: str, token: str | None = None, transports: list[str] | None = None,
                      auth: Any = "default", wait_timeout: float = 5) -> None:
        """``sio.connect`` to the gateway's Socket.IO endpoint (``/ws/``). ``wait_timeout`` bounds the wait for
        the namespace; python-socketio waits all of it after a CONNECT_ERROR before raising."""
        if auth == "default":
            auth = {"token": token} if token is not None else None
        await self.sio.connect(url, socketio_path="ws", transports=transports, auth=auth, wait_timeout=wait_timeout)

    async def close(self) -> None:
        try:
            await asyncio.wait_for(self.sio.shutdown(), 5)
        except Exception:  # noqa: BLE001 - already gone
            pass
        # python-engineio leaves its read and write loops running after an aborted disconnect; end them here
        # rather than have them die with the test's event loop (noise, not failures)
        eio = self.sio.eio
        tasks = [t for t in (getattr(eio, "read_loop_task", None), getattr(eio, "write_loop_task", None),
                             getattr(self.sio, "_reconnect_task", None)) if t is not None and not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2)

    # ---- events ----------------------------------------------------------------------------------------------

    def mark(self) -> int:
        """A position in the event log: ``event(..., since=mark)`` only looks at what came after it."""
        return len(self.events)

    async def event(self, name: str, since: int = 0, timeout: float = 5.0,
                    where: Callable[[Any], bool] | None = None, what: str | None = None,
                    single: bool = True) -> Any:
        """The single argument of the first ``name`` event after ``since`` (matching ``where``); with
        ``single=False``, the tuple of its arguments, however many."""
        deadline = time.monotonic() + timeout
        while True:
            for event, args in self.events[since:]:
                if event != name:
                    continue
                if not single:
                    if where is None or where(args):
                        return args
                    continue
                assert len(args) == 1, f"event {name!r} should carry exactly one argument, got {args!r}"
                if where is None or where(args[0]):
                    return args[0]
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what or name} event within {timeout}s; received: {self.summary(since)}")
            await asyncio.sleep(0.02)

    async def error(self, code: str, since: int, timeout: float = 5.0) -> dict:
        """The next ``error`` event after ``since``, checked to be ``{code, message, timestamp}`` with ``code``."""
        data = await self.event("error", since, timeout, what=f"error {code}")
        check_error_event(data)
        assert data["code"] == code, f"expected error {code}, got {data}"
        return data

    def events_named(self, name: str, since: int = 0) -> list[Any]:
        return [args[0] if len(args) == 1 else args for event, args in self.events[since:] if event == name]

    async def quiet(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def summary(self, since: int = 0) -> str:
        shown = [(e, str(a)[:160]) for e, a in self.events[since:][-10:]]
        return f"{len(self.events) - since} event(s): {shown}"

    # ---- requests with an ack --------------------------------------------------------------------------------

    async def call(self, event: str, data: Any = None, timeout: float = 5.0) -> Any:
        """``sio.call``: emits with an ack id and returns the ack's argument (one argument expected)."""
        return await self.sio.call(event, data, timeout=timeout)


_ENGINEIO_LOOPS = ("_read_loop_polling", "_read_loop_websocket", "_write_loop")


def _quiet_engineio_loops(loop: asyncio.AbstractEventLoop) -> None:
    """python-engineio 4.11's read/write loops may end with an error nobody retrieves after a disconnect (they
    use the HTTP session it has just closed), which asyncio then prints at garbage collection; drop exactly
    those reports, keep every other."""
    previous = loop.get_exception_handler()
    if getattr(previous, "_sioclient_quiet", False):
        return

    def handler(loop: asyncio.AbstractEventLoop, context: dict) -> None:
        future = context.get("future") or context.get("task")
        coro = getattr(future, "get_coro", lambda: None)() if future is not None else None
        if getattr(coro, "__qualname__", "").rsplit(".", 1)[-1] in _ENGINEIO_LOOPS and \
                "engineio" in getattr(getattr(coro, "cr_code", None), "co_filename", ""):
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    handler._sioclient_quiet = True  # type: ignore[attr-defined]
    loop.set_exception_handler(handler)


@asynccontextmanager
async def sio_connected(url: str, token: str | None = None, transports: list[str] | None = None,
                        auth: Any = "default", **options: Any) -> AsyncIterator[SioClient]:
    client = SioClient(**options)
    await client.connect(url, token, transports, auth)
    try:
        yield client
    finally:
        await client.close()


def check_timestamp(ts: Any, what: str) -> None:
    assert isinstance(ts, int) and not isinstance(ts, bool), f"{what}: timestamp is not an integer: {ts!r}"
    assert abs(ts - now_ms()) < 5 * 60 * 1000, f"{what}: timestamp is not Unix milliseconds of now: {ts!r}"


def check_error_event(data: Any) -> None:
    """An ``error`` (or ``auth_error``) event's data: ``{code, message, timestamp}`` (the spec's WebSocketError)."""
    assert isinstance(data, dict), f"error event data is not an object: {data!r}"
    assert isinstance(data.get("code"), str), f"error without a string code: {data}"
    assert isinstance(data.get("message"), str) and data["message"], f"error without a message: {data}"
    check_timestamp(data.get("timestamp"), "error event")


def check_envelope(reply: Any, type_: str) -> dict:
    """An ack's single argument: the plain protocol's message ``{"type", "data"|"error", "timestamp"}``."""
    assert isinstance(reply, dict), f"ack argument is not one object: {reply!r}"
    assert reply.get("type") == type_, f"expected an ack of type {type_!r}, got {reply}"
    check_timestamp(reply.get("timestamp"), f"ack {type_}")
    if type_ in ("error", "auth_error"):
        err = reply.get("error")
        assert isinstance(err, dict) and isinstance(err.get("code"), str) and isinstance(err.get("message"), str), reply
    return reply
