#!/usr/bin/env bash
# Makes this machine able to run TorchSharp-cpu 0.107 (libtorch 2.10), whose libLibTorchSharp.so needs
# GLIBCXX_3.4.32: libstdc++ from GCC 13 or newer. Debian 13, Ubuntu 24.04 and the container image
# (deploy/docker/Dockerfile) have it, and then this script changes nothing.
#
# Debian 12's libstdc++ (GCC 12) lacks it. There the script takes libstdc++6 from Debian 13 (trixie), pinned at
# priority 100 so later upgrades stay on Debian 12 unless a package is named. That one package is not alone:
# trixie's libstdc++6 needs trixie's libc6, which pulls in base-files and, depending on what is installed, dpkg
# and up to about 50 more packages (6 in all on a minimal Debian 12, 24 with build-essential), and afterwards
# /etc/os-release says Debian 13. The script works that list out first (apt's simulation against a private copy
# of the package lists, changing nothing), prints it, and asks before going on when run from a terminal.
# --dry-run stops after printing it.
#
# It also installs jemalloc (libjemalloc2), which the CLI runs on when present: glibc's malloc fragments under
# libtorch's per-batch tensors (see NativeAllocator.cs and docs/BENCHMARKS.md). jemalloc is optional; without it
# the CLI works on glibc with a higher peak memory.
#
# Usage: scripts/ensure-native-runtime.sh [--dry-run] [--yes]
#   --dry-run  print what would be installed or upgraded, change nothing
#   --yes      do not ask (it only asks when standard input is a terminal)
set -euo pipefail

readonly NEEDED_SYMBOL_VERSION="${TRANSFERLAB_NEEDED_GLIBCXX:-GLIBCXX_3.4.32}"
dry_run=false
assume_yes=false
for argument in "$@"; do
  case "$argument" in
    --dry-run) dry_run=true ;;
    --yes | -y) assume_yes=true ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "native runtime: unknown option '$argument' (expected --dry-run or --yes)" >&2; exit 2 ;;
  esac
done

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
  elif $dry_run; then
    echo "native runtime: would install jemalloc (libjemalloc2) from this system's own release"
  elif [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "native runtime: installing jemalloc (libjemalloc2)"
    # Optional, so a failure here only warns.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libjemalloc2 >/dev/null \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libjemalloc2 >/dev/null; } \
      || echo "native runtime: could not install libjemalloc2; the CLI will use glibc's malloc" \
           "(higher peak memory)." >&2
  else
    echo "native runtime: jemalloc is not installed; the CLI will use glibc's malloc (higher peak memory)." >&2
  fi
}

write_trixie_source() { # $1: folder for sources, $2: folder for preferences
  cat > "$1/transferlab-trixie.sources" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  cat > "$2/transferlab-trixie" <<'PIN'
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN
}

# Prints "name old-version new-version" for every package installing trixie's libstdc++6 would install or
# upgrade ("-" as the old version of a new package), from apt's simulation on private copies of the package
# lists and preferences: the system's own apt state is not touched.
plan_changes() {
  local plan
  plan=$(mktemp -d)
  mkdir -p "$plan/parts" "$plan/prefs" "$plan/lists/partial" "$plan/cache/archives/partial"
  cp /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list "$plan/parts/" 2>/dev/null || true
  cp /etc/apt/preferences.d/* "$plan/prefs/" 2>/dev/null || true
  write_trixie_source "$plan/parts" "$plan/prefs"
  local options=(-o "Dir::Etc::SourceParts=$plan/parts" -o "Dir::Etc::PreferencesParts=$plan/prefs"
    -o "Dir::State::Lists=$plan/lists" -o "Dir::Cache=$plan/cache" -o Debug::NoLocking=1
    -o APT::Sandbox::User=root)
  apt-get "${options[@]}" update -qq >/dev/null
  apt-get "${options[@]}" -s -t trixie install libstdc++6 \
    | awk '/^Inst / { if ($3 ~ /^\[/) { old = $3; new = $4 } else { old = "-"; new = $3 }
                      gsub(/[][()]/, "", old); gsub(/[()]/, "", new); print $2, old, new }'
  rm -rf "$plan"
}

print_plan() { # $1: the plan's lines
  local upgraded added
  upgraded=$(awk '$2 != "-"' <<<"$1" | wc -l)
  added=$(awk '$2 == "-"' <<<"$1" | wc -l)
  echo "native runtime: installing libstdc++6 from Debian 13 (trixie) upgrades $upgraded packages of this system"
  echo "and adds $added, all from trixie:"
  awk '{ printf "  %-28s %s -> %s\n", $1, ($2 == "-" ? "(new)" : $2), $3 }' <<<"$1"
  if ! ldconfig -p 2>/dev/null | grep -q 'libjemalloc\.so\.2'; then
    echo "Then jemalloc (libjemalloc2) from this system's own release, optional (see above)."
  fi
  if grep -q '^base-files ' <<<"$1"; then
    echo "base-files is among them: afterwards /etc/os-release says Debian 13 (trixie)."
  fi
  echo "To change nothing here, run TransferLab on Debian 13 or Ubuntu 24.04, or in the container image"
  echo "(deploy/docker/Dockerfile)."
}

confirm_or_stop() {
  if $dry_run; then
    echo "native runtime: dry run, nothing changed."
    exit 0
  fi
  if ! $assume_yes && [ -t 0 ]; then
    read -r -p "Go on? [y/N] " answer
    case "$answer" in y | Y | yes) ;; *) echo "native runtime: nothing changed." >&2; exit 1 ;; esac
  fi
}

if has_needed_symbol; then
  echo "native runtime: $(libstdcxx_path) already provides $NEEDED_SYMBOL_VERSION; nothing to change for it"
  ensure_jemalloc
  exit 0
fi

if [ ! -r /etc/os-release ] || ! grep -q '^ID=debian' /etc/os-release; then
  echo "native runtime: libstdc++ lacks $NEEDED_SYMBOL_VERSION and this is not Debian;" >&2
  echo "install libstdc++ from GCC 13 or newer with your system's package manager." >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ] && ! $dry_run; then
  echo "native runtime: libstdc++ lacks $NEEDED_SYMBOL_VERSION; run this script as root (it uses apt-get)," >&2
  echo "or with --dry-run first to see what it would change." >&2
  exit 1
fi

plan=$(plan_changes)
print_plan "$plan"
confirm_or_stop

write_trixie_source /etc/apt/sources.list.d /etc/apt/preferences.d
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
