#!/usr/bin/env bash
# W1 side by side: darkroom render vs libvips (vipsthumbnail) vs sharp.
#
#   benches/compare.sh [DIR] [ROUNDS]
#
# W1: for each camera-sized JPEG, decode, orient, write an upright 1440 px q85
# preview and a 256 px q80 thumb (stripped), on all cores. DIR defaults to a
# set made by ../shared/tools/make-bench-corpus.sh (built once into
# target/w1-corpus; needs vips and exiftool), else ../shared/corpus/camera.
# Tools run interleaved, ROUNDS times (default 3); medians are printed with
# images/s, megapixels/s, peak memory and darkroom's ratio to each, then each
# tool's preview PSNR against a full-resolution Lanczos3 reference.
# Installs what it needs: libvips-tools (Debian), sharp (npm, into target/).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${2:-3}
CORES=$(nproc)
log() { echo "compare: $*" >&2; }

if ! command -v vipsthumbnail >/dev/null || ! command -v exiftool >/dev/null; then
  log "installing libvips-tools and exiftool"
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libvips-tools libimage-exiftool-perl >&2
fi
DIR=${1:-}
if [ -z "$DIR" ]; then
  DIR=target/w1-corpus
  if [ ! -f "$DIR/.complete" ]; then
    if [ -x ../shared/tools/make-bench-corpus.sh ] || [ -f ../shared/tools/make-bench-corpus.sh ]; then
      log "making the W1 set in $DIR"
      rm -rf "$DIR" && bash ../shared/tools/make-bench-corpus.sh "$DIR" >&2 && touch "$DIR/.complete"
    else
      DIR=../shared/corpus/camera
    fi
  fi
fi
mapfile -t FILES < <(ls "$DIR"/*.jpg "$DIR"/*.JPG 2>/dev/null | sort)
[ ${#FILES[@]} -gt 0 ] || { log "no JPEGs in $DIR"; exit 1; }
MP=$(paste <(vipsheader -f width "${FILES[@]}") <(vipsheader -f height "${FILES[@]}") |
  awk '{s += $1 * $2} END {printf "%.1f", s / 1e6}')

SHARP_DIR=target/sharp
if [ ! -d "$SHARP_DIR/node_modules/sharp" ]; then
  log "installing sharp into $SHARP_DIR"
  mkdir -p "$SHARP_DIR" && (cd "$SHARP_DIR" && npm install --silent --no-audit --no-fund sharp@0.34 >&2)
fi
export SHARP_PATH=$PWD/$SHARP_DIR/node_modules/sharp

log "building darkroom (release)"
cargo build --release -q --bin darkroom --bin darkroom-helper
DARKROOM=${CARGO_TARGET_DIR:-target}/release/darkroom

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
printf '%s\n' "${FILES[@]}" > "$OUT/files"
export OUT DARKROOM CORES
# `run NAME` times w1_NAME: wall seconds and peak RSS (KiB) of the largest process.
run() {
  local name=$1
  rm -rf "${OUT:?}/$name" && mkdir -p "$OUT/$name"
  /usr/bin/time -f "%e %M" -o "$OUT/$name.time" bash -c "w1_$name" >/dev/null 2>"$OUT/$name.err" || {
    log "$name failed:"; cat "$OUT/$name.err" >&2; exit 1; }
  cat "$OUT/$name.time" >> "$OUT/$name.all"
}
w1_darkroom() { mapfile -t f < "$OUT/files"; "$DARKROOM" render --out "$OUT/darkroom" "${f[@]}"; }
# vipsthumbnail at its best here: one long-lived process per core, one thread
# each, over a round-robin share of the files (so big and small files mix),
# then the thumbs from the previews in one more invocation per share.
w1_vips() {
  export VIPS_CONCURRENCY=1
  for core in $(seq 0 $((CORES - 1))); do
    (
      mapfile -t share < <(awk -v c="$core" -v n="$CORES" '(NR - 1) % n == c' "$OUT/files")
      vipsthumbnail --size 1440 -o "$OUT/vips/%s.preview.jpg[Q=85,strip]" "${share[@]}"
      previews=()
      for f in "${share[@]}"; do previews+=("$OUT/vips/$(basename "$f" .jpg).preview.jpg"); done
      vipsthumbnail --size 256 -o "$OUT/vips/%s.thumb.jpg[Q=80,strip]" "${previews[@]}"
    ) &
  done
  wait
}
w1_sharp() { mapfile -t f < "$OUT/files"; node benches/w1-sharp.js "$OUT/sharp" "${f[@]}"; }
export -f w1_darkroom w1_vips w1_sharp

log "${#FILES[@]} files, $MP MP, $ROUNDS interleaved rounds on $CORES cores"
for round in $(seq 1 "$ROUNDS"); do
  run darkroom
  run vips
  run sharp
  log "round $round done"
done

# Sanity: every tool wrote a preview and a thumb per file.
for t in darkroom vips sharp; do
  n=$(ls "$OUT/$t" | wc -l)
  [ "$n" -eq $((2 * ${#FILES[@]})) ] || { log "$t wrote $n files, expected $((2 * ${#FILES[@]}))"; exit 1; }
done

median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
declare -A SECS PEAK
for t in darkroom vips sharp; do
  SECS[$t]=$(awk '{print $1}' "$OUT/$t.all" | median)
  PEAK[$t]=$(awk '{print $2}' "$OUT/$t.all" | median)
done
printf '\n%-10s %10s %10s %10s %12s %14s\n' tool "median s" images/s MP/s "peak MB" "darkroom is"
for t in darkroom vips sharp; do
  awk -v t="$t" -v s="${SECS[$t]}" -v m="${PEAK[$t]}" -v n="${#FILES[@]}" -v mp="$MP" -v d="${SECS[darkroom]}" \
    'BEGIN { r = (t == "darkroom") ? "-" : sprintf("%.2fx", s / d);
             printf "%-10s %10.2f %10.1f %10.0f %12.0f %14s\n", t, s, n / s, mp / s, m / 1024, r }'
done
echo "(peak MB: the largest single process; vips runs $CORES processes, darkroom and sharp one)"

log "preview quality: PSNR against a full-resolution Lanczos3 reference"
cargo build --release -q -p darkroom-benches --bin w1-quality
"${CARGO_TARGET_DIR:-target}/release/w1-quality" "$OUT/files" \
  darkroom="$OUT/darkroom" vips="$OUT/vips" sharp="$OUT/sharp" 2>"$OUT/quality.log" ||
  { cat "$OUT/quality.log" >&2; exit 1; }
