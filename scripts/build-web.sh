#!/bin/bash
# build-web.sh OUT.c: embed the dashboard (web/) into a C source for the
# binary. Installs web/'s npm dependencies (uPlot) first when they are
# missing: `npm ci` against the committed package-lock.json.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=$1
cd "$root"
if [ ! -f web/node_modules/uplot/dist/uPlot.iife.min.js ]; then
	command -v npm >/dev/null || { echo "build-web: npm is needed for the dashboard's uPlot (scripts/install-deps.sh)" >&2; exit 1; }
	echo "build-web: npm ci in web/ (uPlot)" >&2
	(cd web && npm ci --no-audit --no-fund --loglevel=error >&2) ||
		{ echo "build-web: npm ci failed in web/ (is the npm registry reachable?)" >&2; exit 1; }
fi
pairs=("/index.html=web/index.html")
for f in web/*.js web/*.css web/*.svg; do
	[ -f "$f" ] && pairs+=("/assets/$(basename "$f")=$f")
done
pairs+=("/assets/uPlot.iife.min.js=web/node_modules/uplot/dist/uPlot.iife.min.js"
	"/assets/uPlot.min.css=web/node_modules/uplot/dist/uPlot.min.css")
python3 scripts/embed-web.py "$out" "${pairs[@]}"
