#!/usr/bin/env bash
# Debian packages the local stack needs: PostgreSQL server, a JDK for Spark, Maven for the jars; with the argument
# `browser`, Chromium and its driver for `make ui-check`. Installs only what is missing; needs root (or sudo) the
# first time.
set -euo pipefail
missing=()
[ -x /usr/lib/postgresql/15/bin/postgres ] || [ -n "${RAINFOREST_PG_BIN:-}" ] || missing+=(postgresql)
command -v java >/dev/null || missing+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null || missing+=(maven)
if [ "${1:-}" = browser ]; then
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
echo "[system-deps] installing: ${missing[*]}" >&2
sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
$sudo_cmd apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
