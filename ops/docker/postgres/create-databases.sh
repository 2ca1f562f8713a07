#!/bin/sh
# First start of the PostgreSQL container: one database per service (POSTGRES_DATABASES, spaces),
# owned by a role of the same name whose password is <DATABASE>_DB_PASSWORD. Only that role (and
# the superuser) may connect to it: a service's credentials reach no other service's data.
set -e
for database in $POSTGRES_DATABASES; do
  password="$(printenv "$(echo "$database" | tr a-z A-Z)_DB_PASSWORD")"
  [ -n "$password" ] || { echo "set $(echo "$database" | tr a-z A-Z)_DB_PASSWORD" >&2; exit 1; }
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -v role="$database" -v password="$password" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"role" OWNER :"role";
REVOKE ALL ON DATABASE :"role" FROM PUBLIC;
SQL
done
