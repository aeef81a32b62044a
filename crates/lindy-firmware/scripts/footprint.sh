#!/usr/bin/env bash
# Builds the footprint firmwares in release, measures their sections and runs each under QEMU for
# its heap high-water mark; prints a Markdown table (docs/benchmarks/firmware.md).
#   usage: scripts/footprint.sh [target]     (default thumbv7em-none-eabihf)
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:-thumbv7em-none-eabihf}
bins=(footprint-empty footprint-lindy footprint-embassy-sync)
size=$(command -v llvm-size || command -v arm-none-eabi-size)
nm=$(command -v llvm-nm || command -v arm-none-eabi-nm)
cargo build --quiet --release --target "$target" $(printf -- '--bin %s ' "${bins[@]}")
dir=${CARGO_TARGET_DIR:-target}/$target/release
runner=$(sed -n "/^\[target.$target\]/,/^\[/s/^runner = \"\(.*\)\"/\1/p" .cargo/config.toml)

echo "| firmware | .text | .rodata | .data | flash (vectors+text+rodata+data) | static RAM (data+bss, no heap arena) | heap high-water |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for bin in "${bins[@]}"; do
  elf=$dir/$bin
  sec() { "$size" -A "$elf" | awk -v s="$1" '$1 == s { print $2; f = 1 } END { if (!f) print 0 }'; }
  vt=$(sec .vector_table) text=$(sec .text) ro=$(sec .rodata) data=$(sec .data) bss=$(sec .bss)
  # The heap arena is a static array named ARENA: RAM given to the heap, counted in its own column.
  arena=$("$nm" -S --size-sort -t d "$elf" | awk '/ARENA/ { print $2 + 0; f = 1 } END { if (!f) print 0 }')
  heap=$($runner "$elf" | awk -F': ' '/heap high-water bytes/ { print $2 }')
  echo "| \`$bin\` | $text | $ro | $data | $((vt + text + ro + data)) | $((data + bss - arena)) | ${heap:-0} (arena $arena) |"
done
