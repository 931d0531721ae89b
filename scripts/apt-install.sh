#!/bin/sh
# apt-install.sh WHAT PACKAGE...: installs Debian packages with apt-get (as root, or with
# password-less sudo), or exits 1 with a message saying what to install by hand.
what="$1"; shift
echo "$what is missing: installing the Debian package(s) $* with apt-get..."
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    echo "error: cannot install $*: not root and no password-less sudo." >&2
    echo "       Install it yourself (e.g. 'sudo apt-get install $*') and re-run." >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: cannot install $*: apt-get not found (not a Debian-like system)." >&2
    echo "       Install $what with your system's package manager and re-run." >&2
    exit 1
fi
# Time limits (coreutils' timeout): a held dpkg lock or a dead mirror stops the set-up with
# the message below instead of hanging it.
if ! { timeout 600 $SUDO apt-get update -qq && \
       DEBIAN_FRONTEND=noninteractive timeout 1800 $SUDO apt-get install -y -qq "$@" >/dev/null; }; then
    echo "error: 'apt-get install $*' failed or ran out of time (10 min update, 30 min" >&2
    echo "       install); install $what by hand and re-run." >&2
    exit 1
fi
