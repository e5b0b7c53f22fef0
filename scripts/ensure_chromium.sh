#!/usr/bin/env bash
# The browser tests drive Debian's Chromium with Playwright (no browser download): install it when
# missing. Set CHROMIUM=/path/to/chromium to use another build.
set -euo pipefail
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
bin=${CHROMIUM:-/usr/bin/chromium}
has_cjk() { command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh-tw 2>/dev/null | head -1)" ]; }
if [ -x "$bin" ] && has_cjk; then
  say "chromium: present ($bin), with a Traditional Chinese font"
  exit 0
fi
if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null 2>&1; then
  echo "error: $bin is missing; install Debian's chromium package (apt-get install chromium) or set CHROMIUM" >&2
  exit 1
fi
SUDO=""; [ "$(id -u)" != 0 ] && SUDO=sudo
say "chromium: installing Debian's chromium and a CJK font for the browser tests (a minute or two)"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null
say "chromium: ready ($($bin --version 2>/dev/null || echo installed))"
