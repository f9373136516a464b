# shellcheck shell=bash
# Shared helpers for the TLSChat scripts (Scripts/test, Scripts/serve,
# Scripts/gen-certs). Source it; it defines functions and variables only.
#
# What it does:
#   - REPO_ROOT: the repository root, derived from this file's location.
#   - log/warn/die: uniform messages on stderr, prefixed with the script name.
#   - require_packages PKG...: checks Debian packages, using `command -v` for
#     packages that provide a command (openssl, python3, ncat, tmux) and
#     dpkg-query for the rest (libssl-dev, libsqlite3-dev, ...). Missing ones
#     are installed with apt-get (one `apt-get update` first) when running as
#     root; otherwise it prints the exact `sudo apt-get install` line and fails.
#   - require_python_module MODULE PACKAGE: checks that python3 can import
#     MODULE; otherwise installs PACKAGE from PyPI with `python3 -m pip install`
#     when running as root (else prints the exact command and fails).
#   - ensure_swift_on_path: prepends /opt/swift/usr/bin to PATH if needed.
# What it does not do: it never installs anything that is not missing, never
# uses a package manager other than apt-get, and never changes the repo.

# shellcheck disable=SC2034  # used by the scripts that source this file
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
SCRIPT_NAME="$(basename "${0:-tlschat}")"

log()  { printf '%s: %s\n' "$SCRIPT_NAME" "$*" >&2; }
warn() { printf '%s: warning: %s\n' "$SCRIPT_NAME" "$*" >&2; }
die()  { printf '%s: error: %s\n' "$SCRIPT_NAME" "$*" >&2; exit 1; }

# The command whose presence proves a package is installed; empty means
# "ask dpkg" (libraries and headers have no command).
package_command() {
  case "$1" in
    openssl|python3|ncat|tmux|git|curl|nats-server|weechat-headless|irssi) printf '%s\n' "$1" ;;
    *) printf '\n' ;;
  esac
}

package_present() {
  local cmd
  cmd="$(package_command "$1")"
  if [[ -n "$cmd" ]]; then
    command -v "$cmd" >/dev/null 2>&1
  else
    command -v dpkg-query >/dev/null 2>&1 &&
      [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
  fi
}

_TLSCHAT_APT_UPDATED=0

# require_python_module MODULE PACKAGE : pip-install PACKAGE (as root) when MODULE is missing.
require_python_module() {
  local module="$1" package="$2"
  python3 -c "import $module" >/dev/null 2>&1 && return 0
  if (( EUID != 0 )); then
    log "missing Python package $package (module $module); install it with:"
    printf '    python3 -m pip install --user %s\n' "$package" >&2
    return 1
  fi
  log "installing missing Python package: $package"
  python3 -m pip install --quiet "$package" || die "could not install Python package $package"
  python3 -c "import $module" >/dev/null 2>&1 || die "Python package $package installed but module $module still missing"
}

# require_packages PKG... : install (as root) or explain what is missing.
require_packages() {
  local pkg missing=() still=()
  for pkg in "$@"; do
    package_present "$pkg" || missing+=("$pkg")
  done
  (( ${#missing[@]} == 0 )) && return 0

  if (( EUID != 0 )); then
    log "missing required packages: ${missing[*]}"
    log "install them with:"
    printf '    sudo apt-get update && sudo apt-get install -y %s\n' "${missing[*]}" >&2
    return 1
  fi
  command -v apt-get >/dev/null 2>&1 ||
    die "missing packages (${missing[*]}) and apt-get is not available; install them by hand"

  log "installing missing packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if (( _TLSCHAT_APT_UPDATED == 0 )); then
    apt-get update -q >&2 || die "apt-get update failed"
    _TLSCHAT_APT_UPDATED=1
  fi
  apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 ||
    die "apt-get install ${missing[*]} failed"

  for pkg in "${missing[@]}"; do
    package_present "$pkg" || still+=("$pkg")
  done
  (( ${#still[@]} == 0 )) || die "still missing after apt-get install: ${still[*]}"
  log "installed: ${missing[*]}"
}

# Make `swift` findable on a stock machine where it lives in /opt/swift.
ensure_swift_on_path() {
  if ! command -v swift >/dev/null 2>&1 && [[ -x /opt/swift/usr/bin/swift ]]; then
    export PATH="/opt/swift/usr/bin:$PATH"
  fi
  command -v swift >/dev/null 2>&1 ||
    die "swift not found on PATH nor at /opt/swift/usr/bin/swift; install a Swift toolchain"
}

# tlschatd_port FILE TRANSPORT PID SECONDS: waits until tlschatd (process PID) has
# printed "listening TRANSPORT HOST PORT" into FILE, then prints PORT. Returns 1
# if the process exits first or SECONDS pass. A FILE not created yet counts as empty.
tlschatd_port() {
  local file="$1" transport="$2" pid="$3" deadline=$(( SECONDS + $4 )) port
  while (( SECONDS < deadline )); do
    port="$(awk -v t="$transport" '$1 == "listening" && $2 == t { print $4; exit }' "$file" 2>/dev/null || true)"
    if [[ "$port" =~ ^[0-9]+$ ]]; then printf '%s\n' "$port"; return 0; fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
