#!/usr/bin/env bash
# The first run as a new user meets it: purge Tessera's Debian packages,
# clone the committed main into a fresh folder beside ../shared, then
# `make run` and `make test`, each once, each timed. Destructive for this
# machine's packages (they come back through make's own install), so it asks
# for --purge. Run as root from a checkout: tests/fresh_machine.sh --purge
#
# Prints each step's last lines and wall time; exits non-zero if a step fails.
set -uo pipefail
[ "${1:-}" = "--purge" ] || { echo "usage: $0 --purge   (removes Tessera's packages first)" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "fresh_machine: must run as root (apt-get purge)" >&2; exit 2; }
src=$(cd "$(dirname "$0")/.." && pwd)
top=$(dirname "$src")
dest=$top/fresh-$(date +%Y%m%d-%H%M%S)
# Everything `make deps` installs (autoremove then takes what they pulled in).
pkgs=$(make -s -C "$src" deps-list)
echo "== purge: $pkgs"
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
apt-get purge -y -qq $pkgs >/dev/null 2>&1
apt-get autoremove -y -qq >/dev/null 2>&1
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" && { echo "fresh_machine: $p still installed" >&2; exit 1; }
done
echo "== clone $(git -C "$src" rev-parse --short HEAD) of main into $dest"
git clone -q --branch main "$src" "$dest" || exit 1
cd "$dest" || exit 1
rc=0
for goal in run test; do
  echo "== make $goal"
  t0=$(date +%s)
  make "$goal" > "$dest/make-$goal.log" 2>&1
  r=$?
  echo "exit $r after $(( $(date +%s) - t0 )) s; last lines of $dest/make-$goal.log:"
  tail -n 6 "$dest/make-$goal.log"
  [ $r -eq 0 ] || rc=1
done
exit $rc
