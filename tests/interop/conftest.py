"""Fixtures and hooks of the interop suite; the stack itself is in cdstack.py."""

from __future__ import annotations

import os
from typing import Iterable

import pytest

from cdstack import BIN_DIR, Stack

# ---- fixtures and hooks --------------------------------------------------------------------------------

_STACKS: list[Stack] = []  # started stacks, for the logs attached to failures


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterable[Stack]:
    missing = [str(BIN_DIR / n) for n in ("coindaily-auth", "coindaily-sentiment", "coindaily-gateway")
               if not os.access(BIN_DIR / n, os.X_OK)]
    if missing:
        pytest.exit(f"not built: {', '.join(missing)}. Build first (`swift build`, or `make test`), or set "
                    f"COINDAILY_BIN_DIR to the directory holding the executables.", returncode=1)
    s = Stack(tmp_path_factory.mktemp("stack"))
    try:
        s.start()
    except Exception as exc:  # noqa: BLE001
        report = f"could not start the stack: {exc}\n{s.logs_report()}"
        s.stop()
        # Every test needs the stack: stop the session here (non-zero) instead of failing each test alike.
        pytest.exit(report, returncode=1)
    _STACKS.append(s)
    yield s
    s.stop()
    print(f"\ncoindaily interop logs: {s.log_dir}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``disruptive`` (they restart Redis) run after all others."""
    items.sort(key=lambda item: item.get_closest_marker("disruptive") is not None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterable[None]:
    outcome = yield
    report = outcome.get_result()
    if report.failed and _STACKS and report.when in ("setup", "call"):
        report.sections.append(("coindaily process logs", _STACKS[-1].logs_report()))
