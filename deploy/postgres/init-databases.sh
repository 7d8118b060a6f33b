#!/bin/sh
# Creates one database per Ronghe process, owned by $POSTGRES_USER.
#
# The postgres image runs this once, on its first start with an empty data volume
# (mounted into /docker-entrypoint-initdb.d/ by docker-compose.yml). It is also safe to
# run by hand against any server: databases that exist are left alone.
#
#   RONGHE_DATABASES="ronghe_resources ronghe_volunteers ..." POSTGRES_USER=ronghe \
#     PGHOST=db.example PGPASSWORD=... sh deploy/postgres/init-databases.sh
set -eu

: "${POSTGRES_USER:=postgres}"
DATABASES="${RONGHE_DATABASES:-ronghe_resources ronghe_volunteers ronghe_events ronghe_reports ronghe_gateway}"

for db in $(echo "$DATABASES" | tr ',' ' '); do
  case "$db" in
    *[!a-z0-9_]*|"") echo "init-databases: refusing database name '$db' (use a-z, 0-9, _)" >&2; exit 2 ;;
  esac
  exists=$(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$db'")
  if [ "$exists" = "1" ]; then
    echo "init-databases: $db exists"
  else
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -c \
      "CREATE DATABASE \"$db\" OWNER \"$POSTGRES_USER\" ENCODING 'UTF8' TEMPLATE template0"
    echo "init-databases: created $db"
  fi
done
