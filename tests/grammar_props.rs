//! Property tests for the channel grammar: round-trips, agreement with a plain reference
//! implementation of the rules, and the pattern index against a linear scan.

use std::collections::BTreeSet;

use lindy::grammar::{
    Name, NameRef, Pattern, PatternIndex, SubscriptionId, Visibility, MAX_NAME_LEN,
    MAX_PATTERN_DEPTH, MAX_SEGMENT_LEN,
};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// A reference implementation of the rules, written for clarity rather than speed (split, iterate,
// compare). The real parser is a single byte scan; the two must agree on every input.

fn ref_segment_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_SEGMENT_LEN
        && s.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'_')
}

fn ref_split(s: &str) -> Option<(Visibility, Vec<&str>)> {
    if s.is_empty() || s.len() > MAX_NAME_LEN {
        return None;
    }
    let (vis, rest) = s.split_once(':')?;
    let vis = match vis {
        "public" => Visibility::Public,
        "private" => Visibility::Private,
        _ => return None,
    };
    if rest.contains(':') {
        return None;
    }
    Some((vis, rest.split('.').collect()))
}

fn ref_name_ok(s: &str) -> bool {
    let Some((vis, segs)) = ref_split(s) else {
        return false;
    };
    (2..=4).contains(&segs.len())
        && segs.iter().all(|s| ref_segment_ok(s))
        && (vis == Visibility::Public || segs.len() >= 3)
}

fn ref_pattern_ok(s: &str) -> bool {
    let Some((_, segs)) = ref_split(s) else {
        return false;
    };
    (1..=MAX_PATTERN_DEPTH).contains(&segs.len())
        && segs.iter().enumerate().all(|(i, seg)| {
            ref_segment_ok(seg) || *seg == "*" || (*seg == "**" && i + 1 == segs.len())
        })
}

/// Backtracking matcher over segment lists: the textbook semantics.
fn ref_match_segments(p: &[&str], n: &[&str]) -> bool {
    match (p.first(), n.first()) {
        (None, None) => true,
        (Some(&"**"), Some(_)) => (1..=n.len()).any(|k| ref_match_segments(&p[1..], &n[k..])),
        (Some(&"*"), Some(_)) => ref_match_segments(&p[1..], &n[1..]),
        (Some(lit), Some(seg)) => lit == seg && ref_match_segments(&p[1..], &n[1..]),
        _ => false,
    }
}

fn ref_matches(pattern: &str, name: &str) -> bool {
    let (pv, ps) = ref_split(pattern).unwrap();
    let (nv, ns) = ref_split(name).unwrap();
    pv == nv && ref_match_segments(&ps, &ns)
}

// ---------------------------------------------------------------------------------------------
// Generators

fn visibility() -> impl Strategy<Value = Visibility> {
    prop_oneof![Just(Visibility::Public), Just(Visibility::Private)]
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z0-9_-]{1,8}",
        1 => "[a-z0-9_-]{60,64}",
    ]
}

/// Valid names of every shape, within the length limit.
fn valid_name() -> impl Strategy<Value = (Visibility, Vec<String>)> {
    (visibility(), prop::collection::vec(segment(), 2..=4)).prop_filter(
        "private names need an id; names fit MAX_NAME_LEN",
        |(vis, segs)| {
            let len =
                vis.to_string().len() + 1 + segs.iter().map(|s| s.len() + 1).sum::<usize>() - 1;
            (*vis == Visibility::Public || segs.len() >= 3) && len <= MAX_NAME_LEN
        },
    )
}

/// Strings near the grammar: valid-looking prefixes and segments mixed with every kind of mistake.
fn near_miss() -> impl Strategy<Value = String> {
    let prefix = prop_oneof![
        4 => Just("public:"),
        3 => Just("private:"),
        1 => Just("Public:"),
        1 => Just("*:"),
        1 => Just("public"),
        1 => Just(""),
        1 => Just(":"),
    ];
    let seg = prop_oneof![
        6 => "[a-c]{1,3}",
        2 => Just("*".to_string()),
        2 => Just("**".to_string()),
        1 => Just(String::new()),
        1 => "[a-cA*: \\x00\\t\u{e9}.]{1,4}",
        1 => "[a-z]{63,66}",
    ];
    (prefix, prop::collection::vec(seg, 0..=10))
        .prop_map(|(p, segs)| format!("{p}{}", segs.join(".")))
}

/// A valid name with at most one edit (insert, replace or delete one character): many stay
/// valid, the rest are one step from valid, where parsers go wrong.
fn edited_name() -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        4 => prop::char::range('a', 'z'),
        1 => prop::sample::select(vec!['0', '9', '-', '_', '.', ':', '*', 'A', 'Z', ' ', '\0', '\t', '\x7f', 'é', '😀']),
    ];
    (valid_name(), 0..4u8, any::<prop::sample::Index>(), ch).prop_map(
        |((vis, segs), op, at, ch)| {
            let mut s: Vec<char> = format!("{vis}:{}", segs.join(".")).chars().collect();
            let i = at.index(s.len() + 1);
            match op {
                1 => s.insert(i, ch),
                2 if i < s.len() => s[i] = ch,
                3 if i < s.len() => {
                    s.remove(i);
                }
                _ => {}
            }
            s.into_iter().collect()
        },
    )
}

/// Inputs for the parser-versus-reference tests.
fn grammar_input() -> impl Strategy<Value = String> {
    prop_oneof![near_miss(), edited_name()]
}

fn small_name() -> impl Strategy<Value = String> {
    (visibility(), prop::collection::vec("[a-c]", 2..=4))
        .prop_filter_map("private needs id", |(v, s)| {
            (v == Visibility::Public || s.len() >= 3).then(|| format!("{v}:{}", s.join(".")))
        })
}

fn small_pattern() -> impl Strategy<Value = String> {
    let seg = prop_oneof![4 => "[a-c]".prop_map(String::from), 2 => Just("*".to_string())];
    (
        visibility(),
        prop::collection::vec(seg, 1..=5),
        any::<bool>(),
    )
        .prop_map(|(v, mut segs, tail)| {
            if tail {
                *segs.last_mut().unwrap() = "**".to_string();
            }
            format!("{v}:{}", segs.join("."))
        })
}

// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn display_round_trips_through_parse((vis, segs) in valid_name()) {
        let text = format!("{vis}:{}", segs.join("."));
        let n = Name::parse(&text).unwrap();
        let shown = n.to_string();
        prop_assert_eq!(Name::parse(&shown).unwrap(), n.clone());
        prop_assert_eq!(n.visibility(), vis);
        prop_assert_eq!(n.segments().collect::<Vec<_>>(), segs.iter().map(String::as_str).collect::<Vec<_>>());
        // build agrees with parse.
        let seg = |i: usize| segs.get(i).map(String::as_str);
        let built = Name::build(vis, &segs[0], &segs[1], seg(2), seg(3)).unwrap();
        prop_assert_eq!(&built, &n);
        prop_assert_eq!(built.id(), n.id());
        prop_assert_eq!(built.topic(), n.topic());
        // Every name is a pattern that matches exactly itself.
        prop_assert!(Pattern::exact(&n).matches(&n));
        prop_assert_eq!(Pattern::exact(&n), Pattern::parse(&text).unwrap());
    }

    #[test]
    fn name_parser_agrees_with_the_reference(s in grammar_input()) {
        let parsed = Name::parse(&s);
        prop_assert_eq!(parsed.is_ok(), ref_name_ok(&s), "{:?}: {:?}", s, parsed);
        match parsed {
            Ok(n) => prop_assert_eq!(n.as_str(), s.as_str()),
            Err(e) => {
                prop_assert_eq!(e.code(), "CHANNEL_INVALID");
                if let Some(off) = e.offset() { prop_assert!(off <= s.len()); }
            }
        }
    }

    #[test]
    fn pattern_parser_agrees_with_the_reference(s in grammar_input()) {
        let parsed = Pattern::parse(&s);
        prop_assert_eq!(parsed.is_ok(), ref_pattern_ok(&s), "{:?}: {:?}", s, parsed);
        match parsed {
            Ok(p) => prop_assert_eq!(p.to_string(), s),
            Err(e) => prop_assert_eq!(e.code(), "PATTERN_INVALID"),
        }
    }

    #[test]
    fn arbitrary_input_never_panics(s in any::<String>(), bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        for input in [s, String::from_utf8_lossy(&bytes).into_owned()] {
            let name = Name::parse(&input);
            prop_assert_eq!(name.is_ok(), ref_name_ok(&input));
            prop_assert_eq!(Pattern::parse(&input).is_ok(), ref_pattern_ok(&input));
            if let Err(e) = name { let _ = e.to_string(); }
        }
    }

    #[test]
    fn matching_agrees_with_the_reference(p in small_pattern(), names in prop::collection::vec(small_name(), 1..20)) {
        let pattern = Pattern::parse(&p).unwrap();
        for n in &names {
            let expected = ref_matches(&p, n);
            prop_assert_eq!(pattern.matches(&Name::parse(n).unwrap()), expected, "{} ~ {}", p, n);
            prop_assert_eq!(pattern.matches_ref(NameRef::parse(n).unwrap()), expected);
        }
    }

    #[test]
    fn index_agrees_with_a_linear_scan(
        patterns in prop::collection::vec(small_pattern(), 0..60),
        names in prop::collection::vec(small_name(), 1..30),
        removals in prop::collection::vec(any::<prop::sample::Index>(), 0..60),
    ) {
        let mut index = PatternIndex::new();
        let mut live: Vec<(SubscriptionId, Pattern)> = Vec::new();
        for (i, p) in patterns.iter().enumerate() {
            let pattern = Pattern::parse(p).unwrap();
            let id = index.insert(&pattern, i);
            live.push((id, pattern));
        }
        check_index(&index, &live, &names)?;

        for r in removals {
            if live.is_empty() { break; }
            let (id, _) = live.remove(r.index(live.len()));
            prop_assert!(index.remove(id).is_some());
            prop_assert_eq!(index.remove(id), None);
            check_index(&index, &live, &names)?;
        }
        for (id, _) in live.drain(..) {
            prop_assert!(index.remove(id).is_some());
        }
        prop_assert!(index.is_empty());
        prop_assert!(index.trie_is_pruned(), "every node is freed once the index is empty");
    }
}

fn check_index(
    index: &PatternIndex<usize>,
    live: &[(SubscriptionId, Pattern)],
    names: &[String],
) -> Result<(), TestCaseError> {
    prop_assert_eq!(index.len(), live.len());
    prop_assert_eq!(index.trie_values(), live.len());
    for n in names {
        let name = Name::parse(n).unwrap();
        let mut got = Vec::new();
        index.for_each_match(name.as_name_ref(), |id, _| got.push(id));
        let got_set: BTreeSet<SubscriptionId> = got.iter().copied().collect();
        prop_assert_eq!(got_set.len(), got.len(), "a subscription was visited twice");
        let expected: BTreeSet<SubscriptionId> = live
            .iter()
            .filter(|(_, p)| p.matches(&name))
            .map(|(id, _)| *id)
            .collect();
        prop_assert_eq!(got_set, expected, "name {}", n);
    }
    Ok(())
}
