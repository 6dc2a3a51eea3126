#!/usr/bin/env bash
# Install the system packages CoinDaily Realtime needs on Debian/Ubuntu, skipping what is already there.
#
#   scripts/install-deps.sh            libhiredis-dev, pkg-config, redis-server (+ redis-cli), haproxy, curl,
#                                      openssl (the TLS tests make certificates with it),
#                                      and python3-venv when `$PYTHON -m venv` cannot work
#   scripts/install-deps.sh --compose  also docker-compose (only `make compose-check` needs it)
#
# Runs apt-get only when something is missing; uses sudo only when not root.
set -euo pipefail

PYTHON=${PYTHON:-python3}
want_compose=0
for arg in "$@"; do
  case "$arg" in
    --compose) want_compose=1 ;;
    *) echo "usage: $0 [--compose]" >&2; exit 64 ;;
  esac
done

# Debian packages we need; `dpkg -s` tells whether each is installed.
packages=(libhiredis-dev pkg-config redis-server redis-tools haproxy curl openssl)
if ((want_compose)); then packages+=(docker-compose); fi

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg -s "$pkg" >/dev/null 2>&1; then
    missing+=("$pkg")
  fi
done

# A Python without ensurepip (Debian's own python3) needs python3-venv for `python3 -m venv`.
if ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  missing+=(python3-venv)
fi

if ((${#missing[@]} == 0)); then
  echo "install-deps: system packages present"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-deps: missing ${missing[*]} and no apt-get here; install them by hand" >&2
  exit 1
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    echo "install-deps: missing ${missing[*]}; run as root or install sudo" >&2
    exit 1
  fi
fi

echo "install-deps: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
