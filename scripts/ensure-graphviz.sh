#!/bin/sh
# Installs Graphviz's `dot` with apt-get when it is missing; fails loudly when it cannot.
if command -v dot >/dev/null 2>&1; then
    exit 0
fi
echo "Graphviz's 'dot' is missing: installing the Debian package 'graphviz' with apt-get..."
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    echo "error: cannot install Graphviz: not root and no password-less sudo." >&2
    echo "       Install it yourself (e.g. 'sudo apt-get install graphviz') and re-run." >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: cannot install Graphviz: apt-get not found (not a Debian-like system)." >&2
    echo "       Install Graphviz from https://graphviz.org/download/ and re-run." >&2
    exit 1
fi
if ! { $SUDO apt-get update -qq && \
       DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq graphviz >/dev/null; }; then
    echo "error: 'apt-get install graphviz' failed; install Graphviz by hand and re-run." >&2
    exit 1
fi
command -v dot >/dev/null 2>&1 || { echo "error: Graphviz installed but 'dot' not on PATH." >&2; exit 1; }
echo "Graphviz installed: $(dot -V 2>&1)"
