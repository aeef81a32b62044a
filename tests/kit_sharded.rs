//! The conformance kit against `ShardedSpace<Vec<u8>>` (issue 18): every case whose
//! capabilities a sharded space has. It has no pattern takes, no space-wide bounds and no
//! dead-letter key (each needs one order across shards), so those cases are not applicable; the
//! bound cases that use per-key bounds only run in a second pass.

use lindy::testkit::{run, run_matching, Capabilities, Sharded, CASES};

#[test]
fn the_kit_passes_on_a_sharded_space() {
    let report = futures::executor::block_on(run(&mut Sharded::new()));
    println!("{report}");
    assert!(report.ok(), "{report}");
    assert_eq!(
        report.passed.len() + report.not_applicable.len(),
        CASES.len()
    );
    let mut missing: Vec<&str> = report.not_applicable.iter().map(|(_, m)| *m).collect();
    missing.sort();
    missing.dedup();
    assert_eq!(
        missing,
        ["bounds", "dead_letter", "durable", "pattern_take"],
        "only the capabilities a sharded space lacks are skipped"
    );
    assert!(report.passed.len() >= 15, "{report}");
}

/// The bound and back-pressure cases that use per-key bounds only (`key_max_entries`) or check
/// that a bad bound is refused: a sharded space keeps them.
#[test]
fn the_per_key_bound_cases_pass_on_a_sharded_space() {
    let per_key = [
        "full_push_is_refused_with_the_value",
        "bound_of_zero_is_invalid_config",
        "push_waits_for_room",
        "dropped_push_puts_nothing_in",
        "push_dropped_after_room_frees_puts_nothing_in",
        "close_refuses_waiting_push_with_the_value",
    ];
    let report = futures::executor::block_on(run_matching(
        &mut Sharded::with_capabilities(Capabilities {
            bounds: true,
            back_pressure: true,
            ..Sharded::CAPABILITIES
        }),
        |name| per_key.contains(&name),
    ));
    println!("{report}");
    assert!(report.ok(), "{report}");
    assert_eq!(report.passed.len(), per_key.len(), "{report}");
}

/// The one bound case a sharded space cannot keep fails to open with a coded error, not with a
/// wrong answer.
#[test]
fn the_space_wide_bound_case_is_refused_at_open() {
    let report = futures::executor::block_on(run_matching(
        &mut Sharded::with_capabilities(Capabilities {
            bounds: true,
            ..Sharded::CAPABILITIES
        }),
        |name| name == "leased_entries_hold_their_room",
    ));
    assert_eq!(report.failed.len(), 1, "{report}");
    assert!(report.failed[0].1.contains("INVALID_CONFIG"), "{report}");
}
