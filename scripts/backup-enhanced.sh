#!/usr/bin/env bash
# The spec's backup entry point: ./scripts/backup-enhanced.sh --set=full
# Takes the spec's flags and environment verbatim (BACKUP_BASE, S3_BUCKET, ENCRYPTION_KEY,
# TENANT_ID, PROJECT_ID, RETENTION_DAYS) and hands them to `summit-dr backup`, which reads them.
# `summit-dr backup --help` lists every option.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_summit-dr-locate.sh"
exec "$summit_dr" backup "$@"
