#!/usr/bin/env bash
# RAW develop side by side: darkroom vs LibRaw's half-size develop.
#
#   benches/raw-compare.sh [DIR] [ROUNDS]
#
# For each DNG in DIR (default: the three 24 MP DNGs that
# ../shared/tools/make-dng.py makes from the corpus, 12-bit packed, 14-bit
# packed and 14-in-16, built once into target/raw-corpus), times
#   darkroom: `darkroom render` of one 1440 px q85 preview (the RAW helper
#             develops at half size, then resizes and encodes), and
#   LibRaw:   `dcraw_emu -h -w -T` (half-size develop with the camera's white
#             balance, an 8-bit TIFF written).
# interleaved, ROUNDS times (default 5), and prints medians of wall time,
# CPU time (user + system, all processes) and peak memory (the largest
# process), with LibRaw's figure divided by darkroom's: above 1, darkroom is
# faster or lighter.
# Installs what it needs: libraw-bin (Debian); pidng, numpy, pillow (pip)
# to make the DNGs.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${2:-5}
log() { echo "raw-compare: $*" >&2; }

if ! command -v dcraw_emu >/dev/null; then
  log "installing libraw-bin"
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libraw-bin >&2
fi
DIR=${1:-}
if [ -z "$DIR" ]; then
  DIR=target/raw-corpus
  if [ ! -f "$DIR/.complete" ]; then
    python3 -c 'import pidng, numpy, PIL' 2>/dev/null ||
      pip install --quiet pidng numpy pillow >&2 ||
      pip install --quiet --break-system-packages pidng numpy pillow >&2
    log "making the DNGs in $DIR"
    rm -rf "$DIR" && mkdir -p "$DIR" && python3 ../shared/tools/make-dng.py "$DIR" >&2 && touch "$DIR/.complete"
  fi
fi
mapfile -t FILES < <(ls "$DIR"/*.dng "$DIR"/*.DNG 2>/dev/null | sort)
[ ${#FILES[@]} -gt 0 ] || { log "no DNGs in $DIR"; exit 1; }

log "building darkroom (release)"
cargo build --release -q --bin darkroom --bin darkroom-helper
DARKROOM=${CARGO_TARGET_DIR:-target}/release/darkroom

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
# `measure TOOL FILE` appends "wall cpu peak_kib" to $OUT/TOOL.FILE.
measure() {
  local tool=$1 file=$2 name
  name=$(basename "$file")
  case $tool in
    darkroom) set -- "$DARKROOM" render --threads 1 --out "$OUT/darkroom" \
      --rendition preview:1440:jpeg:85 "$file" ;;
    libraw) set -- dcraw_emu -h -w -T -Z "$OUT/libraw.tiff" "$file" ;;
  esac
  /usr/bin/time -f "%e %U %S %M" -o "$OUT/time" "$@" >/dev/null 2>"$OUT/err" || {
    log "$tool failed on $name:"; cat "$OUT/err" >&2; exit 1
  }
  awk '{print $1, $2 + $3, $4}' "$OUT/time" >> "$OUT/$tool.$name"
}
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
column_median() { cut -d' ' -f"$2" "$1" | median; }

for file in "${FILES[@]}"; do
  measure darkroom "$file" # warm the page cache and the binaries
  : > "$OUT/darkroom.$(basename "$file")"
  for _ in $(seq "$ROUNDS"); do
    measure darkroom "$file"
    measure libraw "$file"
  done
done

printf '\nRAW develop, %s rounds interleaved, medians (%s cores)\n' "$ROUNDS" "$(nproc)"
printf '%-20s | %-24s | %-24s | %s\n' file "darkroom s / cpu s / MB" "LibRaw s / cpu s / MB" \
  "LibRaw ÷ darkroom: wall, cpu, memory"
for file in "${FILES[@]}"; do
  name=$(basename "$file")
  read -r dw dc dm < <(for c in 1 2 3; do column_median "$OUT/darkroom.$name" $c; done | xargs)
  read -r lw lc lm < <(for c in 1 2 3; do column_median "$OUT/libraw.$name" $c; done | xargs)
  awk -v n="$name" -v dw="$dw" -v dc="$dc" -v dm="$dm" -v lw="$lw" -v lc="$lc" -v lm="$lm" 'BEGIN {
    printf "%-20s | %5.2f / %5.2f / %5.0f     | %5.2f / %5.2f / %5.0f     | %.2f× %.2f× %.2f×\n",
      n, dw, dc, dm / 1024, lw, lc, lm / 1024, lw / dw, lc / dc, lm / dm }'
done
