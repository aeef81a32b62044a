# lindy on a microcontroller (crates/lindy-firmware, its own workspace and lock file): the core's
# test suite and the embassy firmware run on an emulated Cortex-M4 (QEMU's MPS2 AN386), the suite
# again on a Cortex-M0 (the micro:bit), and the core must build for thumbv6m (no CAS).
.PHONY: firmware-setup firmware-test firmware-m0 firmware-size

FIRMWARE_DIR := crates/lindy-firmware
FIRMWARE_TARGETS := thumbv7em-none-eabihf thumbv6m-none-eabi

firmware-setup:
	@command -v qemu-system-arm >/dev/null || { \
	  echo "installing qemu-system-arm"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-system-arm; }
	@installed="$$(rustup target list --installed)"; \
	for t in $(FIRMWARE_TARGETS); do \
	  grep -qx "$$t" <<<"$$installed" || rustup target add "$$t"; \
	done

# Lint, then the suite on the Cortex-M4 (prints `N passed, M failed`, exits non-zero on any failure), then
# the embassy-executor firmware (tasks meeting through lindy's futures, a timer-driven sweep) and
# the example of docs/firmware.md.
firmware-test: firmware-setup
	cd $(FIRMWARE_DIR) && $(CARGO) fmt -- --check
	cd $(FIRMWARE_DIR) && $(CARGO) clippy --quiet --bins -- -D warnings
	cd $(FIRMWARE_DIR) && $(CARGO) run --quiet --bin suite
	cd $(FIRMWARE_DIR) && $(CARGO) run --quiet --bin embassy
	cd $(FIRMWARE_DIR) && $(CARGO) run --quiet --bin example

# Cortex-M0 has no compare-and-swap: the core must still build there, and the suite runs on the
# micro:bit, in two images that each fit its 256 KiB of flash (profile `m0`: release at opt-level
# z with overflow checks; features `part-core` / `part-services` split the groups); then the
# embassy firmware and the example run there too.
firmware-m0: firmware-setup
	$(CARGO) build --lib --no-default-features --target thumbv6m-none-eabi
	cd $(FIRMWARE_DIR) && for part in core services; do \
	  $(CARGO) run --quiet --profile m0 --features part-$$part --bin suite --target thumbv6m-none-eabi; \
	done
	cd $(FIRMWARE_DIR) && for bin in embassy example; do \
	  $(CARGO) run --quiet --profile m0 --bin $$bin --target thumbv6m-none-eabi; \
	done

GATES += firmware-test firmware-m0

# The footprint table of docs/benchmarks/firmware.md (not a gate: sizes are reported, not asserted).
firmware-size: firmware-setup
	@command -v llvm-size >/dev/null || command -v arm-none-eabi-size >/dev/null || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq binutils-arm-none-eabi; }
	$(FIRMWARE_DIR)/scripts/footprint.sh thumbv7em-none-eabihf
	$(FIRMWARE_DIR)/scripts/footprint.sh thumbv6m-none-eabi
