#!/bin/sh
# Installs Graphviz's `dot` with apt-get when it is missing; fails loudly when it cannot.
command -v dot >/dev/null 2>&1 && exit 0
sh "$(dirname "$0")/apt-install.sh" "Graphviz's 'dot'" graphviz || exit 1
command -v dot >/dev/null 2>&1 || { echo "error: Graphviz installed but 'dot' not on PATH." >&2; exit 1; }
echo "Graphviz installed: $(dot -V 2>&1)"
