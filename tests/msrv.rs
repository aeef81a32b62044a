//! The declared MSRV (`rust-version` in Cargo.toml) holds for what a user compiles.
//!
//! Only the current stable and nightly toolchains exist on the build machines (no older
//! toolchain can be fetched), so the MSRV is checked in two parts instead of by compiling with
//! the old compiler:
//! * the std APIs lindy calls: clippy's `incompatible_msrv` lint reads `rust-version` and flags
//!   any API stabilised later (it runs in `make clippy`);
//! * the dependencies: this test resolves each workspace crate's normal (non-dev) dependency
//!   graph with lindy's publishable features on, for the host and the embedded and wasm targets,
//!   and checks that no crate in it declares a newer `rust-version` than the workspace crate
//!   does (every workspace crate must declare one).

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

/// For every workspace member: its name, its declared `rust-version`, and the packages reachable
/// from it through normal or build dependencies that declare a newer one (those pulled in only
/// under `cfg(loom)`, a test-only configuration, are skipped).
fn too_new_dependencies(platform: &str) -> Vec<(String, String, Vec<String>)> {
    let m = metadata(platform);
    let packages = m["packages"].as_array().unwrap();
    let package = |id: &str| packages.iter().find(|p| p["id"] == id).unwrap();
    let nodes = m["resolve"]["nodes"].as_array().unwrap();
    let node = |id: &str| nodes.iter().find(|n| n["id"] == id).unwrap();
    let mut report = Vec::new();
    for member in m["workspace_members"].as_array().unwrap() {
        let member = package(member.as_str().unwrap());
        let name = member["name"].as_str().unwrap().to_owned();
        let msrv = member["rust_version"]
            .as_str()
            .unwrap_or_else(|| panic!("{name} declares no rust-version"))
            .to_owned();
        let mut seen = std::collections::BTreeSet::new();
        let mut stack = vec![member["id"].as_str().unwrap().to_owned()];
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
        for id in &seen {
            let p = package(id);
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
        if name == "lindy" {
            assert!(seen.len() > 5, "the walk found lindy's dependencies");
        }
        report.push((name, msrv, too_new));
    }
    report
}

#[test]
fn no_dependency_needs_a_newer_rust_than_its_crate_declares() {
    for platform in [
        host().as_str(),
        "thumbv7em-none-eabihf",
        "wasm32-unknown-unknown",
    ] {
        for (name, msrv, too_new) in too_new_dependencies(platform) {
            assert!(
                too_new.is_empty(),
                "{name} declares rust-version {msrv}, but on {platform}: {too_new:?}"
            );
        }
    }
}
