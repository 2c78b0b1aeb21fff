#!/usr/bin/env bash
# The spec's DR drill entry point: ./RUNBOOKS/execute-dr-drill.sh scenario-1-total-data-loss
# Runs `summit-dr drill run SCENARIO` (scenarios in RUNBOOKS/dr-drill-scenarios.yaml).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/_summit-dr-locate.sh"
if [ $# -lt 1 ]; then
  echo "usage: $0 SCENARIO   (e.g. scenario-1-total-data-loss)" >&2
  exit 2
fi
exec "$summit_dr" drill run "$@"
