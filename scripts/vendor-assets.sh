#!/usr/bin/env bash
# Refresh static/vendor/ from the npm registry. Needs node and npm; nothing at run or test time does.
set -euo pipefail
HTMX=${HTMX:-2.0.11}; PICO=${PICO:-2.1.1}; CHARTJS=${CHARTJS:-4.6.1}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp" && npm init -y >/dev/null
npm install --silent --save-exact "htmx.org@$HTMX" "@picocss/pico@$PICO" "chart.js@$CHARTJS"
out="$root/static/vendor"
cp node_modules/htmx.org/dist/htmx.min.js "$out/"
cp node_modules/@picocss/pico/css/pico.min.css "$out/"
cp node_modules/chart.js/dist/chart.umd.min.js "$out/"
# Manifest static storage fails on a sourceMappingURL whose .map is not shipped.
sed -i '/^\/\/# sourceMappingURL=/d' "$out/chart.umd.min.js"
sed -i 's#/\*\# sourceMappingURL=[^*]*\*/##' "$out/pico.min.css"
(cd "$out" && sha256sum htmx.min.js pico.min.css chart.umd.min.js)
echo "Update static/vendor/VERSIONS.md with the versions and hashes above."
