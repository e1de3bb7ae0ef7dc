#!/usr/bin/env bash
# Installs the Debian packages the test suite uses when they are missing:
# - PostgreSQL server binaries (the suite starts its own throwaway server from them);
# - FFmpeg development files and a build toolchain, to build vPDQ (video hashing);
# - Chromium, which the browser tests (tests/browser/) drive through Playwright.
# With the argument `video`, only the second group (what `make demo` needs for video hashing).
set -euo pipefail

only_video=false
without="PostgreSQL, video and browser tests may be skipped"
if [ "${1:-}" = "video" ]; then only_video=true; without="video hashing stays off"; fi

missing=()
if ! $only_video; then
    if ! { ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || command -v pg_ctl >/dev/null 2>&1; }; then
        missing+=(postgresql)
    fi
    if ! command -v chromium >/dev/null 2>&1; then
        missing+=(chromium)
    fi
fi
for package in libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libavdevice-dev \
    libavfilter-dev libswresample-dev pkg-config cmake g++; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "Missing ${missing[*]} and no apt-get here: $without." >&2
    exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
        echo "Missing ${missing[*]} and not root: $without." >&2
        exit 0
    fi
fi
echo "Installing Debian packages: ${missing[*]} ..." >&2
if ! { $sudo apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null; }; then
    echo "Could not install ${missing[*]}: $without." >&2
fi
