#!/bin/sh
# Installs axe-core (the npm package, the current 4.x release) into .axe/ (ignored by git):
# tests/test_browser.py runs it in Chromium on the explorer page (WCAG 2.1 AA, zero violations).
# Installed, not copied into the repository: a fresh machine gets the current release, and the
# repository carries no third-party file (axe-core is MPL-2.0: a copy would be allowed with its
# licence beside it, but would age). npm comes from Debian's `npm` package when missing.
# Under CI (CI=true) a failure stops the run; elsewhere it is a warning (the test then skips).
cd "$(dirname "$0")/.." || exit 1
AXE=.axe/node_modules/axe-core/axe.min.js
[ -f "$AXE" ] && exit 0
command -v npm >/dev/null 2>&1 || sh scripts/apt-install.sh "npm (to install axe-core)" npm
if command -v npm >/dev/null 2>&1 && \
        timeout 300 npm install --prefix .axe --no-save --no-audit --no-fund --silent \
        "axe-core@4" && [ -f "$AXE" ]; then
    echo "axe-core installed: $(node -p "require('./.axe/node_modules/axe-core/package.json').version" 2>/dev/null)"
    exit 0
fi
case "$CI" in
    1|true|TRUE|True|yes)
        echo "error: CI=true and axe-core could not be installed (npm install axe-core@4)." >&2
        exit 1 ;;
esac
echo "warning: no axe-core: the accessibility test in tests/test_browser.py will be skipped." >&2
exit 0
