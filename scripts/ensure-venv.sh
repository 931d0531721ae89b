#!/bin/sh
# ensure-venv.sh PYTHON: makes sure PYTHON exists and can create a virtual environment
# (Debian splits `venv`/`ensurepip` into the python3-venv package); installs it if not.
PYTHON="$1"
if [ -z "$PYTHON" ] || ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "error: no python3.11 or python3 on PATH; install Python 3.11 (Debian: python3)." >&2
    exit 1
fi
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    echo "error: $PYTHON is $("$PYTHON" -V 2>&1); gradtrace needs Python >= 3.11." >&2
    echo "       Run e.g. 'make demo PYTHON=python3.11'." >&2
    exit 1
}
"$PYTHON" -c 'import ensurepip, venv' 2>/dev/null && exit 0
version=$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
sh "$(dirname "$0")/apt-install.sh" "Python's venv module" "python$version-venv" python3-venv
