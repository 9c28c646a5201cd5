#!/usr/bin/env bash
# What make test needs from Debian, installed when missing: Chromium (browser tests), wrk
# (load), PostgreSQL 15's programs (the store tests start their own servers as the postgres
# user), nginx (the edge), Patroni and etcd (the cluster). Needs root or sudo only when
# something is missing.
set -euo pipefail
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
[ -x /usr/lib/postgresql/15/bin/postgres ] || missing+=(postgresql-15)
[ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v patroni >/dev/null 2>&1 || missing+=(patroni)
command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test-deps: installing ${missing[*]} from Debian"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! id postgres >/dev/null 2>&1; then
  echo "test-deps: adding the postgres user (PostgreSQL refuses to run as root)"
  $sudo useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi
