#!/bin/sh
# Installs headless Chromium and its WebDriver (Debian's chromium and chromium-driver) with
# apt-get when either is missing: tests/test_browser.py drives them to test the explorer page.
# Under CI (CI=true) a failure stops the run; elsewhere it is a warning (`make demo` does not
# need a browser, and the browser tests then skip, saying why).
have() { command -v "$1" >/dev/null 2>&1; }
found() { { have chromium || have chromium-browser; } && have chromedriver; }
found && exit 0
if sh "$(dirname "$0")/apt-install.sh" "Chromium and chromedriver (for the browser tests)" \
        chromium chromium-driver && found; then
    echo "Chromium installed: $(chromedriver --version 2>&1 | head -n 1)"
    exit 0
fi
case "$CI" in
    1|true|TRUE|True|yes)
        echo "error: CI=true and Chromium or chromedriver is missing: the browser tests" \
             "need them." >&2
        exit 1 ;;
esac
echo "warning: no Chromium/chromedriver: tests/test_browser.py will be skipped." >&2
exit 0
