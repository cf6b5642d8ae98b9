#!/usr/bin/env bash
# TorchSharp-cpu 0.107 (libtorch 2.10) ships libLibTorchSharp.so linked against GLIBCXX_3.4.32,
# which Debian 12's libstdc++ (GCC 12) does not provide. On such a system we take libstdc++6 from
# Debian 13 (trixie), with trixie pinned at priority 100 so that nothing else is upgraded from it
# unless asked for by name. Idempotent: exits at once when the symbol version is already there.
# It also installs jemalloc (libjemalloc2), which the CLI runs on when present: glibc's malloc fragments under
# libtorch's per-batch tensors (see NativeAllocator.cs and docs/BENCHMARKS.md). jemalloc is optional; without it
# the CLI works on glibc with a higher peak memory.
set -euo pipefail

readonly NEEDED_SYMBOL_VERSION="GLIBCXX_3.4.32"

libstdcxx_path() {
  ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}'
}

has_needed_symbol() {
  local lib
  lib=$(libstdcxx_path)
  [ -n "$lib" ] && grep -aq "$NEEDED_SYMBOL_VERSION" "$lib"
}

ensure_jemalloc() {
  if ldconfig -p 2>/dev/null | grep -q 'libjemalloc\.so\.2'; then
    echo "native runtime: jemalloc present"
  elif [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "native runtime: installing jemalloc (libjemalloc2)"
    # Optional, so a failure here only warns.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libjemalloc2 >/dev/null \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libjemalloc2 >/dev/null; } \
      || echo "native runtime: could not install libjemalloc2; the CLI will use glibc's malloc (higher peak memory)." >&2
  else
    echo "native runtime: jemalloc is not installed; the CLI will use glibc's malloc (higher peak memory)." >&2
  fi
}

if has_needed_symbol; then
  echo "native runtime: $(libstdcxx_path) already provides $NEEDED_SYMBOL_VERSION"
  ensure_jemalloc
  exit 0
fi

if [ ! -r /etc/os-release ] || ! grep -q '^ID=debian' /etc/os-release; then
  echo "native runtime: libstdc++ lacks $NEEDED_SYMBOL_VERSION and this is not Debian;" >&2
  echo "install libstdc++ from GCC 13 or newer with your system's package manager." >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "native runtime: libstdc++ lacks $NEEDED_SYMBOL_VERSION; run this script as root (it uses apt-get)." >&2
  exit 1
fi

echo "native runtime: installing libstdc++6 from Debian 13 (trixie), pinned at priority 100"
cat > /etc/apt/sources.list.d/transferlab-trixie.sources <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
cat > /etc/apt/preferences.d/transferlab-trixie <<'PIN'
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq -t trixie libstdc++6 >/dev/null

if has_needed_symbol; then
  echo "native runtime: $(libstdcxx_path) now provides $NEEDED_SYMBOL_VERSION"
  ensure_jemalloc
else
  echo "native runtime: libstdc++6 from trixie was installed but $NEEDED_SYMBOL_VERSION is still missing" >&2
  exit 1
fi
