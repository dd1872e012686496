#!/usr/bin/env bash
# Install syncd as a systemd service:
#   a system user `syncd`, a venv under /opt/syncd, config under /etc/syncd (0640 root:syncd),
#   secrets under /etc/syncd/credentials (0700 root, handed over by LoadCredential=),
#   the unit in /etc/systemd/system, enabled (not started: check the config first).
# Usage: sudo deploy/install.sh [--dry-run] [--no-enable]
# Re-running upgrades the code in place and keeps the config, the secrets and the ledger.
set -euo pipefail

SRC="$(cd "$(dirname "$0")/.." && pwd)"
PREFIX="${SYNCD_PREFIX:-/opt/syncd}"
ETC="${SYNCD_ETC:-/etc/syncd}"
UNIT_DIR="${SYNCD_UNIT_DIR:-/etc/systemd/system}"
PYTHON="${PYTHON:-python3}"
DRY_RUN=0
ENABLE=1
for arg in "$@"; do
  case "$arg" in
    --dry-run) DRY_RUN=1 ;;
    --no-enable) ENABLE=0 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option: $arg" >&2; exit 2 ;;
  esac
done

run() {
  if [ "$DRY_RUN" = 1 ]; then printf '+ %s\n' "$*"; else "$@"; fi
}

"$PYTHON" -c 'import sys; assert sys.version_info >= (3, 11), "syncd needs Python >= 3.11"'
if [ "$DRY_RUN" = 0 ] && [ "$(id -u)" != 0 ]; then
  echo "install.sh: run as root (or with --dry-run to see the steps)" >&2
  exit 2
fi

getent passwd syncd >/dev/null 2>&1 ||
  run useradd --system --home-dir /var/lib/syncd --no-create-home --shell /usr/sbin/nologin syncd
run install -d -m 0755 "$PREFIX"
[ -x "$PREFIX/venv/bin/python" ] || run "$PYTHON" -m venv "$PREFIX/venv"
run "$PREFIX/venv/bin/python" -m pip install --quiet --upgrade pip
run "$PREFIX/venv/bin/python" -m pip install --quiet "$SRC"
run install -m 0644 "$SRC/README.md" "$PREFIX/README.md"
run install -d -m 0750 -o root -g syncd "$ETC"
run install -d -m 0700 -o root -g root "$ETC/credentials"
if [ ! -e "$ETC/syncd.toml" ]; then
  run install -m 0640 -o root -g syncd "$SRC/config/example.toml" "$ETC/syncd.toml"
  echo "install.sh: wrote $ETC/syncd.toml from config/example.toml: edit it, then" \
       "'$PREFIX/venv/bin/syncd check-config -c $ETC/syncd.toml'"
fi
run install -m 0644 "$SRC/systemd/syncd.service" "$UNIT_DIR/syncd.service"
run systemctl daemon-reload
if [ "$ENABLE" = 1 ]; then
  run systemctl enable syncd.service
fi
echo "install.sh: done. Start with 'systemctl start syncd', watch with 'journalctl -u syncd -f'."
