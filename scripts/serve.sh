#!/usr/bin/env bash
# Install, load the curated data into the embedded store, and serve it on http://127.0.0.1:8000/ (Ctrl-C stops).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
.venv/bin/kg load
exec .venv/bin/kg serve "$@"
