#!/usr/bin/env bash
# Flash bytes (code + read-only data) per crate in a firmware ELF, largest first: a `cargo bloat`
# for thumb targets, from the symbol table.   usage: scripts/size-by-crate.sh ELF [N]
set -euo pipefail
nm=$(command -v llvm-nm || command -v arm-none-eabi-nm)
"$nm" -S --size-sort -t d -C "$1" | awk '
  $3 ~ /^[tTrR]$/ {
    name = $4; for (i = 5; i <= NF; i++) name = name " " $i
    sub(/^</, "", name); sub(/^_\$LT\$/, "", name)
    split(name, part, "::"); krate = part[1]; sub(/\.\..*/, "", krate)
    if (krate ~ /^(mem|__aeabi_)/ || krate ~ /^compiler_builtins/) krate = "compiler_builtins"
    else if (krate ~ /^\.L/) krate = "(anonymous constants)"
    else if (krate ~ /^(__INTERRUPTS|__EXCEPTIONS|Reset|DefaultHandler|HardFault)/) krate = "cortex-m-rt"
    bytes[krate] += $2
  }
  END { for (k in bytes) printf "%7d  %s\n", bytes[k], k }' | sort -rn | head -"${2:-15}"
