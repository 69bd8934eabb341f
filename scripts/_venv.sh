# Shared by scripts/demo and scripts/test: make .venv and install sqllint into it (idempotent).
# Works on a fresh Debian machine: installs python3-venv when the interpreter lacks it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
VENV="${SQLLINT_VENV:-$ROOT/.venv}"
if [ ! -x "$VENV/bin/python" ]; then
  if ! "$PYTHON" -m venv "$VENV" >/dev/null 2>&1; then
    rm -rf "$VENV"
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
      apt-get update -qq && apt-get install -y -qq python3-venv python3-pip >/dev/null
      "$PYTHON" -m venv "$VENV"
    else
      echo "error: '$PYTHON -m venv' failed; install python3-venv" >&2
      exit 2
    fi
  fi
fi
install_sqllint() {  # $1: extras, e.g. "fast" or "fast,test"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e "$ROOT[$1]" 2>&1 \
    | grep -v "^WARNING: Location" || true
  "$VENV/bin/python" -c "import sqllint" # fail loudly if the install did not work
}
