//! Puts the board's memory map where cortex-m-rt's `link.x` looks for `memory.x`: the MPS2 AN386
//! for Cortex-M4 builds, the micro:bit for Cortex-M0 (`thumbv6m`) builds.
use std::{env, fs, path::PathBuf};

fn main() {
    let target = env::var("TARGET").unwrap_or_default();
    let board = if target.starts_with("thumbv6m") {
        "microbit"
    } else {
        "mps2-an386"
    };
    // `cfg(board = "...")` lets a firmware size itself to the board (the micro:bit has 16 KiB of RAM).
    println!("cargo::rustc-check-cfg=cfg(board, values(\"microbit\", \"mps2-an386\"))");
    println!("cargo::rustc-cfg=board=\"{board}\"");
    let board = format!("memory/{board}.x");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::copy(&board, out.join("memory.x")).expect("copy the memory map");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed={board}");
    println!("cargo:rerun-if-changed=build.rs");
}
