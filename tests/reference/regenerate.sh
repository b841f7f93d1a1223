#!/usr/bin/env bash
# Regenerate every JSON fixture from R (needs R with metafor, clubSandwich and jsonlite:
#   apt-get install -y r-cran-metafor r-cran-clubsandwich r-cran-jsonlite).
# Each script writes tests/reference/fixtures/<name>.json and records the R and package versions.
set -euo pipefail
cd "$(dirname "$0")"
for script in *.R; do
  echo "== $script"
  Rscript --vanilla "$script"
done
