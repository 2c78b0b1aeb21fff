#!/usr/bin/env bash
# The spec's restore entry point:
#   ./scripts/restore-enhanced.sh "$BACKUP_ID" --mode=verify-only
#   ./scripts/restore-enhanced.sh "$BACKUP_ID" --env=dev [--dry-run] [--sanitize=true]
#   RESTORE_POSTGRES=true RESTORE_NEO4J=false ./scripts/restore-enhanced.sh "$BACKUP_ID" --mode=selective
# Flags and RESTORE_* / RESTORE_ENV variables are read by `summit-dr restore` itself.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_summit-dr-locate.sh"
exec "$summit_dr" restore "$@"
