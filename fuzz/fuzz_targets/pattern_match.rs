//! `Pattern::parse` and `Name::parse` on two halves of the input, then `matches`: never panics,
//! round-trips, and matching agrees with a plain backtracking matcher and with `PatternIndex`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lindy::grammar::{Name, NameRef, Pattern, PatternIndex, MAX_PATTERN_DEPTH};
use lindy::ErrorCode;

/// The textbook semantics: literal = itself, `*` = one segment, `**` = one or more.
fn reference(p: &[&str], n: &[&str]) -> bool {
    match (p.first(), n.first()) {
        (None, None) => true,
        (Some(&"**"), Some(_)) => (1..=n.len()).any(|k| reference(&p[1..], &n[k..])),
        (Some(&"*"), Some(_)) => reference(&p[1..], &n[1..]),
        (Some(lit), Some(seg)) => lit == seg && reference(&p[1..], &n[1..]),
        _ => false,
    }
}

fuzz_target!(|data: &[u8]| {
    // Split on the first 0xFF byte (never valid UTF-8): pattern before, name after.
    let (p_bytes, n_bytes) = match data.iter().position(|&b| b == 0xff) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let (Ok(p_text), Ok(n_text)) = (core::str::from_utf8(p_bytes), core::str::from_utf8(n_bytes))
    else {
        return;
    };
    let pattern = match Pattern::parse(p_text) {
        Ok(p) => p,
        Err(e) => {
            assert_eq!(e.code(), "PATTERN_INVALID");
            let _ = e.to_string();
            // Still exercise the name side.
            let _ = Name::parse(n_text);
            return;
        }
    };
    assert_eq!(pattern.to_string(), p_text);
    assert_eq!(Pattern::parse(&pattern.to_string()).unwrap(), pattern);
    assert!((1..=MAX_PATTERN_DEPTH).contains(&pattern.segment_count()));

    // An invalid name matches nothing, through every entry point.
    let Ok(name) = Name::parse(n_text) else {
        assert!(!pattern.matches_str(n_text));
        return;
    };
    let got = pattern.matches(&name);
    assert_eq!(got, pattern.matches_ref(NameRef::parse(n_text).unwrap()));
    assert_eq!(got, pattern.matches_str(n_text));

    let (pv, ps) = p_text.split_once(':').unwrap();
    let (nv, ns) = n_text.split_once(':').unwrap();
    let ps: Vec<&str> = ps.split('.').collect();
    let ns: Vec<&str> = ns.split('.').collect();
    assert_eq!(got, pv == nv && reference(&ps, &ns), "{p_text} ~ {n_text}");

    // The index finds the same thing as the pattern, and is empty again after removal.
    let mut index = PatternIndex::new();
    let id = index.insert(&pattern, ());
    assert_eq!(
        index.for_each_match(name.as_name_ref(), |_, _| {}),
        got as usize
    );
    assert_eq!(index.remove(id), Some(()));
    assert!(index.trie_is_pruned());
});
