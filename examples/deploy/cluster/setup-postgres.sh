#!/usr/bin/env bash
# Makes the database a Beacon cluster uses, on a PostgreSQL server of this machine (Debian's
# `postgresql`, run as root or with sudo): a role `beacon` that may log in with a password, and a
# database `beacon` it owns. The nodes create their tables on start.
#   ./setup-postgres.sh [PASSWORD_FILE]
# The password is read from PASSWORD_FILE when it exists, else made and written there
# (default: ./beacon-db-password, readable by its owner only); pass it to each node with
# --store-password-file.
set -euo pipefail
file=${1:-beacon-db-password}
if [ ! -s "$file" ]; then
    (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$file")
    echo "wrote a new password to $file"
fi
password=$(head -n 1 "$file")
as_postgres=(runuser -u postgres --)
[ "$(id -u)" -eq 0 ] || as_postgres=(sudo -u postgres)
"${as_postgres[@]}" psql -v ON_ERROR_STOP=1 -q -v password="$password" <<'SQL'
SELECT 'CREATE ROLE beacon LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'beacon') \gexec
ALTER ROLE beacon PASSWORD :'password';
SELECT 'CREATE DATABASE beacon OWNER beacon' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'beacon') \gexec
SQL
echo "database ready: postgres://beacon@127.0.0.1:5432/beacon (password in $file)"
