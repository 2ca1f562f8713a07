#!/bin/sh
# First start of the PostgreSQL container: one database per service (POSTGRES_DATABASES, spaces).
set -e
for database in $POSTGRES_DATABASES; do
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -c "CREATE DATABASE \"$database\" OWNER \"$POSTGRES_USER\""
done
