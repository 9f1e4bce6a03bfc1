#!/bin/sh
# Regenerates data/digits/digits.csv.gz from Debian's python3-sklearn (see data/digits/README.md)
# and checks its SHA-256. Run as root (or with sudo) if the package is not installed yet.
set -eu
SHA256=46abec6b12486ad9e51943373abcf22bbea1b5a51a1619b361570d8893f1464a
DEST="$(cd "$(dirname "$0")/.." && pwd)/data/digits/digits.csv.gz"

if ! dpkg-query -W -f='${Status}' python3-sklearn 2>/dev/null | grep -q "install ok installed"; then
  apt-get install -y python3-sklearn
fi
SRC="$(dpkg -L python3-sklearn | grep '/sklearn/datasets/data/digits\.csv\.gz$' | head -n 1)"
[ -n "$SRC" ] || { echo "python3-sklearn ships no digits.csv.gz" >&2; exit 1; }

TMP="$DEST.tmp.$$"
trap 'rm -f "$TMP"' EXIT
mkdir -p "$(dirname "$DEST")"
cp "$SRC" "$TMP"
GOT="$(sha256sum "$TMP" | cut -d' ' -f1)"
if [ "$GOT" != "$SHA256" ]; then
  echo "$SRC: SHA-256 $GOT, expected $SHA256 (another python3-sklearn version?)" >&2
  exit 1
fi
mv "$TMP" "$DEST"
echo "$DEST: $SHA256"
