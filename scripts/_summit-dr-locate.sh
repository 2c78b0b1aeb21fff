# Sourced by the spec's wrapper scripts: finds the summit-dr binary and the default config.
# SUMMIT_DR_BIN overrides the binary; SUMMIT_DR_CONFIG the configuration file.
summit_repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -n "${SUMMIT_DR_BIN:-}" ]; then
  summit_dr="$SUMMIT_DR_BIN"
elif [ -x "$summit_repo_root/build/src/cli/summit-dr" ]; then
  summit_dr="$summit_repo_root/build/src/cli/summit-dr"
elif command -v summit-dr >/dev/null 2>&1; then
  summit_dr="$(command -v summit-dr)"
else
  echo "❌ summit-dr is not built: run ./dev.sh build (or set SUMMIT_DR_BIN)" >&2
  exit 2
fi
if [ -z "${SUMMIT_DR_CONFIG:-}" ] && [ ! -f config/backup-sets.yaml ]; then
  export SUMMIT_DR_CONFIG="$summit_repo_root/config/backup-sets.yaml"
fi
