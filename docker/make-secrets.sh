#!/usr/bin/env bash
# Creates the secrets that docker/compose.yaml hands to the containers, once, with random values:
#   docker/make-secrets.sh              into docker/secrets/ (ignored by git and by docker build)
#   docker/make-secrets.sh <folder>     elsewhere
# A file that exists is kept, so running it again changes nothing.
#   db_password      the MySQL password of user tessera (the db service: MYSQL_PASSWORD_FILE)
#   database_url     mysql://tessera:<db_password>@db:3306/tessera (the app: DATABASE_URL_FILE)
#   admin_password   the instance admin's first password (the app: ADMIN_PASSWORD_FILE)
#   secret_key       the key TOTP secrets and the session key are encrypted with at rest
#                    (the app: SECRET_KEY_FILE); keep it with the database backups
set -euo pipefail
dir="${1:-$(dirname "$0")/secrets}"
umask 077
mkdir -p "$dir"
chmod 700 "$dir"

if [ ! -s "$dir/db_password" ]; then
  openssl rand -hex 24 > "$dir/db_password"
  echo "created $dir/db_password"
fi
if [ ! -s "$dir/database_url" ]; then
  printf 'mysql://tessera:%s@db:3306/tessera\n' "$(cat "$dir/db_password")" > "$dir/database_url"
  echo "created $dir/database_url"
fi
if ! grep -qF ":$(cat "$dir/db_password")@" "$dir/database_url"; then
  echo "$dir/database_url does not hold the password of $dir/db_password; fix or delete one" >&2
  exit 1
fi
if [ ! -s "$dir/admin_password" ]; then
  openssl rand -hex 16 > "$dir/admin_password"
  echo "created $dir/admin_password"
fi
if [ ! -s "$dir/secret_key" ]; then
  openssl rand -base64 48 > "$dir/secret_key"
  echo "created $dir/secret_key"
fi

# Compose mounts file secrets as they are, and the containers read them as other users (mysql,
# node: uid 1000): the files are readable, the folder (0700) keeps other users of this host out.
chmod 644 "$dir/db_password" "$dir/database_url" "$dir/admin_password" "$dir/secret_key"
echo "the instance admin's first password: $(cat "$dir/admin_password")  (user admin)"
