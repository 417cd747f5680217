#!/usr/bin/env bash
# Seeds for the `headers` target: the first byte picks the parser (0 Range,
# 1 Upload-Metadata, 2 Upload-Checksum with a body after a newline,
# 3 trusted networks | X-Forwarded-For).  Usage: fuzz/make-seeds.sh
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p seeds
printf '\x00bytes=0-99' > seeds/range
printf '\x04bytes=-500' > seeds/range-suffix
printf '\x08bytes=10-20,30-40' > seeds/range-multi
printf '\x01filename cGhvdG8uanBn,blake3 YWJj,deviceAssetId' > seeds/metadata
printf '\x02sha256 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n' > seeds/checksum-empty
printf '\x06blake3 AAAA\nsome bytes' > seeds/checksum-short
printf '\x0310.0.0.0/8, 192.0.2.7|203.0.113.9, 10.0.0.1, [2001:db8::1]:80' > seeds/forwarded
ls seeds | wc -l
