//! Footprint baseline: the runtime (cortex-m-rt), semihosting output and exit, nothing else.
//! The other `footprint-*` firmwares are measured against it (`make firmware-size`).
#![no_std]
#![no_main]

#[path = "../footprint.rs"]
mod footprint;

use cortex_m as _;
use cortex_m_rt::entry;
use footprint::exit;

#[entry]
fn main() -> ! {
    footprint::report("sum", core::hint::black_box(496));
    exit(true)
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    exit(false)
}
