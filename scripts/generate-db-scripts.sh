#!/usr/bin/env bash
# Regenerates the DBA scripts db/<provider>/migrations.sql from the migrations (no database
# needed). Run after adding a migration; a test fails while a committed script is stale.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build src/Api -v quiet --nologo >/dev/null
for provider in sqlite postgres sqlserver; do
  mkdir -p "db/$provider"
  dotnet src/Api/bin/Debug/net10.0/lkm.dll schema-script --provider "$provider" --out "db/$provider/migrations.sql"
  echo "wrote db/$provider/migrations.sql"
done
