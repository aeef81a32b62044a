//! The declared MSRV (`rust-version` in Cargo.toml) holds for what a user compiles.
//!
//! Only the current stable and nightly toolchains exist on the build machines (no older
//! toolchain can be fetched), so the MSRV is checked in two parts instead of by compiling with
//! the old compiler:
//! * the std APIs lindy calls: clippy's `incompatible_msrv` lint reads `rust-version` and flags
//!   any API stabilised later (it runs in `make clippy`);
//! * the dependencies: this test resolves lindy's normal (non-dev) dependency graph with every
//!   publishable feature on, for the host and the embedded and wasm targets, and checks that
//!   no crate in it declares a newer `rust-version` than lindy does.

use std::process::Command;

use serde_json::Value;

fn version(v: &str) -> (u64, u64, u64) {
    let mut parts = v
        .split('.')
        .map(|p| p.parse::<u64>().expect("numeric version"));
    let mut next = || parts.next().unwrap_or(0);
    (next(), next(), next())
}

fn metadata(platform: &str) -> Value {
    let out = Command::new(env!("CARGO"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["metadata", "--format-version", "1", "--locked"])
        .args(["--features", "serde,tokio", "--filter-platform", platform])
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata JSON")
}

fn host() -> String {
    let out = Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("run rustc -vV");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .expect("rustc -vV names the host")
}

/// Every package reachable from lindy through normal or build dependencies, skipping those
/// only pulled in under `cfg(loom)` (a test-only configuration).
fn too_new_dependencies(platform: &str) -> (String, Vec<String>) {
    let m = metadata(platform);
    let packages = m["packages"].as_array().unwrap();
    let lindy = packages.iter().find(|p| p["name"] == "lindy").unwrap();
    let msrv = lindy["rust_version"]
        .as_str()
        .expect("lindy declares rust-version")
        .to_owned();
    let nodes = m["resolve"]["nodes"].as_array().unwrap();
    let node = |id: &str| nodes.iter().find(|n| n["id"] == id).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    let mut stack = vec![lindy["id"].as_str().unwrap().to_owned()];
    while let Some(id) = stack.pop() {
        for dep in node(&id)["deps"].as_array().unwrap() {
            let runtime = dep["dep_kinds"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"] != "dev" && k["target"].as_str() != Some("cfg(loom)"));
            let pkg = dep["pkg"].as_str().unwrap().to_owned();
            if runtime && seen.insert(pkg.clone()) {
                stack.push(pkg);
            }
        }
    }
    let mut too_new = Vec::new();
    for p in packages
        .iter()
        .filter(|p| seen.contains(p["id"].as_str().unwrap()))
    {
        if let Some(rv) = p["rust_version"].as_str() {
            if version(rv) > version(&msrv) {
                too_new.push(format!(
                    "{} {} needs {rv}",
                    p["name"].as_str().unwrap(),
                    p["version"].as_str().unwrap()
                ));
            }
        }
    }
    assert!(seen.len() > 5, "the walk found lindy's dependencies");
    (msrv, too_new)
}

#[test]
fn no_dependency_needs_a_newer_rust_than_lindy_declares() {
    for platform in [
        host().as_str(),
        "thumbv7em-none-eabihf",
        "wasm32-unknown-unknown",
    ] {
        let (msrv, too_new) = too_new_dependencies(platform);
        assert!(
            too_new.is_empty(),
            "lindy declares rust-version {msrv}, but on {platform}: {too_new:?}"
        );
    }
}
