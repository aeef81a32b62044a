//! What the footprint firmwares share: output without `core::fmt`, so the measured flash is the
//! program's, not the formatter's (the footprint firmwares' panic handlers print nothing either).
//!
//! Included by path (`#[path = "../footprint.rs"] mod footprint;`) rather than through the
//! library, which needs `alloc`: the baseline and the embassy-sync peer have no allocator at all.

use cortex_m_semihosting::{debug, hio};

/// Ends the run: exit status 0 if `success` (semihosting `SYS_EXIT`).
pub fn exit(success: bool) -> ! {
    debug::exit(if success {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    loop {
        cortex_m::asm::wfi();
    }
}

/// Writes `s` to the host's stdout (semihosting).
pub fn print(s: &str) {
    if let Ok(mut out) = hio::hstdout() {
        let _ = out.write_all(s.as_bytes());
    }
}

/// Writes `n` in decimal.
pub fn print_usize(n: usize) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // Safety net instead of `unwrap`: the bytes are ASCII digits.
    if let Ok(s) = core::str::from_utf8(&buf[i..]) {
        print(s);
    }
}

/// Prints `label: n\n`.
pub fn report(label: &str, n: usize) {
    print(label);
    print(": ");
    print_usize(n);
    print("\n");
}
