//! `Name::parse` on arbitrary bytes: never panics, agrees with `NameRef::parse`, and every
//! accepted name upholds the grammar and round-trips through `Display` and `Name::build`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lindy::grammar::{Name, NameRef, Visibility, MAX_NAME_LEN, MAX_SEGMENT_LEN};
use lindy::ErrorCode;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = core::str::from_utf8(data) else {
        return;
    };
    let owned = Name::parse(s);
    let borrowed = NameRef::parse(s);
    match (owned, borrowed) {
        (Ok(n), Ok(r)) => {
            assert_eq!(n, r);
            assert_eq!(n.as_str(), s);
            assert!(s.len() <= MAX_NAME_LEN);
            // Display round-trips.
            let shown = n.to_string();
            assert_eq!(Name::parse(&shown).unwrap(), n);
            // Segments are what the text says they are.
            let (vis, rest) = s.split_once(':').unwrap();
            assert_eq!(vis, n.visibility().as_str());
            let segs: Vec<&str> = rest.split('.').collect();
            assert_eq!(n.segments().collect::<Vec<_>>(), segs);
            assert!((2..=4).contains(&segs.len()));
            for seg in &segs {
                assert!(!seg.is_empty() && seg.len() <= MAX_SEGMENT_LEN);
                assert!(seg.bytes().all(|c| c.is_ascii_lowercase()
                    || c.is_ascii_digit()
                    || c == b'-'
                    || c == b'_'));
            }
            assert!(n.visibility() == Visibility::Public || n.id().is_some());
            // build composes the same name from its parts.
            let built =
                Name::build(n.visibility(), n.app(), n.domain(), n.id(), n.topic()).unwrap();
            assert_eq!(built, n);
        }
        (Err(a), Err(b)) => {
            assert_eq!(a, b);
            assert_eq!(a.code(), "CHANNEL_INVALID");
            if let Some(off) = a.offset() {
                assert!(off <= s.len());
            }
            let _ = a.to_string();
        }
        (a, b) => panic!("Name::parse and NameRef::parse disagree on {s:?}: {a:?} vs {b:?}"),
    }
});
