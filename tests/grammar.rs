//! Behaviour tests for the channel grammar: every rule, positive and negative.

use lindy::grammar::{
    GrammarErrorKind as K, Name, NameRef, Pattern, PatternIndex, PatternSegment, Subject,
    Visibility, MAX_NAME_LEN, MAX_PATTERN_DEPTH, MAX_SEGMENT_LEN,
};

type GErr = lindy::grammar::GrammarError;

fn name_err(s: &str) -> lindy::grammar::GrammarError {
    let err = Name::parse(s).expect_err(s);
    // The borrowed parser agrees with the owned one on every input.
    assert_eq!(NameRef::parse(s).unwrap_err(), err, "{s:?}");
    assert_eq!(err.code(), "CHANNEL_INVALID", "{s:?}");
    assert_eq!(err.subject(), Subject::Name);
    err
}

fn pattern_err(s: &str) -> lindy::grammar::GrammarError {
    let err = Pattern::parse(s).expect_err(s);
    assert_eq!(err.code(), "PATTERN_INVALID", "{s:?}");
    assert_eq!(err.subject(), Subject::Pattern);
    err
}

fn seg(n: usize) -> String {
    "a".repeat(n)
}

// ---------------------------------------------------------------------------------------------
// Names: accepted forms

#[test]
fn names_with_two_to_four_segments_parse() {
    let n = Name::parse("public:chat.rooms").unwrap();
    assert_eq!(n.visibility(), Visibility::Public);
    assert_eq!(
        (n.app(), n.domain(), n.id(), n.topic()),
        ("chat", "rooms", None, None)
    );
    assert_eq!(n.segment_count(), 2);

    let n = Name::parse("public:chat.rooms.lobby").unwrap();
    assert_eq!(n.id(), Some("lobby"));
    assert_eq!(n.topic(), None);

    let n = Name::parse("private:chat.dm.u-42_x.typing").unwrap();
    assert!(n.is_private());
    assert_eq!(
        (n.app(), n.domain(), n.id(), n.topic()),
        ("chat", "dm", Some("u-42_x"), Some("typing"))
    );
    assert_eq!(
        n.segments().collect::<Vec<_>>(),
        ["chat", "dm", "u-42_x", "typing"]
    );
    assert_eq!(n.segment(4), None);
}

#[test]
fn every_allowed_byte_is_accepted() {
    let all = "abcdefghijklmnopqrstuvwxyz0123456789-_";
    let s = format!("public:{all}.{all}");
    assert_eq!(Name::parse(&s).unwrap().app(), all);
    // Digits, '-' and '_' may start or end a segment.
    assert!(Name::parse("public:0.-.__.9").is_ok());
}

#[test]
fn display_and_fromstr_round_trip() {
    for s in [
        "public:a.b",
        "public:a.b.c",
        "public:a.b.c.d",
        "private:a.b.c",
        "private:a.b.c.d",
    ] {
        let n: Name = s.parse().unwrap();
        let shown = n.to_string();
        assert_eq!(shown, s);
        assert_eq!(Name::parse(&shown).unwrap(), n);
        assert_eq!(n.as_str(), s);
        assert_eq!(n, s);
    }
}

#[test]
fn name_ref_and_name_agree() {
    let text = String::from("private:chat.dm.u42.typing");
    let r = NameRef::parse(&text).unwrap();
    let n = r.to_owned();
    assert_eq!(n.as_name_ref(), r);
    assert_eq!(n, r);
    assert_eq!(r.as_str(), text.as_str());
    assert_eq!(
        (r.app(), r.domain(), r.id(), r.topic()),
        (n.app(), n.domain(), n.id(), n.topic())
    );
    assert_eq!(Name::from(r), n);
    assert_eq!(Name::try_from(text.clone()).unwrap(), n);
    assert_eq!(String::from(n.clone()), text);
}

#[test]
fn name_hash_and_eq_agree_with_str() {
    use std::collections::HashMap;
    let mut map = HashMap::new();
    map.insert(Name::parse("public:a.b").unwrap(), 1);
    // Borrow<str>: look up by string.
    assert_eq!(map.get("public:a.b"), Some(&1));
    assert_eq!(map.get("public:a.c"), None);

    let mut names: Vec<Name> = ["public:b.a", "private:a.b.c", "public:a.b"]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    names.sort();
    let sorted: Vec<&str> = names.iter().map(Name::as_str).collect();
    assert_eq!(sorted, ["private:a.b.c", "public:a.b", "public:b.a"]);
}

// ---------------------------------------------------------------------------------------------
// Names: the visibility prefix

#[test]
fn visibility_must_be_lowercase_public_or_private() {
    assert_eq!(name_err("chat.rooms").kind(), K::MissingVisibility);
    assert_eq!(name_err("public").kind(), K::MissingVisibility);
    for bad in [
        "Public:a.b",
        "PUBLIC:a.b",
        "pub:a.b",
        ":a.b",
        "protected:a.b.c",
        " public:a.b",
    ] {
        let err = name_err(bad);
        assert_eq!(err.kind(), K::UnknownVisibility, "{bad:?}");
        assert_eq!(err.offset(), Some(0));
    }
    // A wildcard visibility is no visibility for a name.
    assert_eq!(name_err("*:a.b").kind(), K::UnknownVisibility);
}

#[test]
fn no_other_colon_anywhere() {
    let err = name_err("public:a.b:c");
    assert_eq!(err.kind(), K::InvalidChar { ch: ':' });
    assert_eq!((err.segment(), err.offset()), (Some(1), Some(10)));
    assert!(
        err.to_string()
            .contains("':' may only follow the visibility"),
        "{err}"
    );
    assert_eq!(name_err("public::a.b").kind(), K::InvalidChar { ch: ':' });
    assert_eq!(
        name_err("public:private:a.b").kind(),
        K::InvalidChar { ch: ':' }
    );
}

// ---------------------------------------------------------------------------------------------
// Names: segments

#[test]
fn segments_must_be_non_empty() {
    for (bad, segment, offset) in [
        ("public:", 0, 7),
        ("public:.a", 0, 7),
        ("public:a..b", 1, 9),
        ("public:a.b.", 2, 11),
        ("private:a.b..c", 2, 12),
    ] {
        let err = name_err(bad);
        assert_eq!(err.kind(), K::EmptySegment, "{bad:?}");
        assert_eq!(
            (err.segment(), err.offset()),
            (Some(segment), Some(offset)),
            "{bad:?}"
        );
    }
}

#[test]
fn segments_use_only_lowercase_digits_dash_underscore() {
    for (bad, ch, offset) in [
        ("public:Chat.rooms", 'C', 7),
        ("public:chat.rOoms", 'O', 13),
        ("public:chat.ro oms", ' ', 14),
        ("public:chat.rooms\t", '\t', 17),
        ("public:chat.rooms\n", '\n', 17),
        ("public:chat.\0", '\0', 12),
        ("public:chat.\x7f", '\x7f', 12),
        ("public:caf\u{e9}.menu", '\u{e9}', 10),
        ("public:chat.\u{1F600}", '\u{1F600}', 12),
        ("public:chat.r/oms", '/', 13),
        ("public:chat.rooms*", '*', 17),
        ("public:chat.*", '*', 12),
        ("public:a+b.c", '+', 8),
    ] {
        let err = name_err(bad);
        assert_eq!(err.kind(), K::InvalidChar { ch }, "{bad:?}");
        assert_eq!(err.offset(), Some(offset), "{bad:?}");
    }
    let err = name_err("public:chat.*");
    assert!(
        err.to_string()
            .contains("wildcards are only allowed in patterns"),
        "{err}"
    );
}

#[test]
fn a_name_has_two_to_four_segments() {
    assert_eq!(
        name_err("public:chat").kind(),
        K::TooFewSegments { found: 1 }
    );
    let err = name_err("public:a.b.c.d.e");
    assert_eq!(err.kind(), K::TooManySegments { max: 4 });
    assert_eq!((err.segment(), err.offset()), (Some(4), Some(15)));
}

#[test]
fn a_private_name_needs_an_id() {
    assert_eq!(name_err("private:chat.dm").kind(), K::PrivateWithoutId);
    assert!(Name::parse("private:chat.dm.u1").is_ok());
    assert!(Name::parse("public:chat.dm").is_ok());
}

#[test]
fn segment_length_limit() {
    let ok = format!("public:{}.b", seg(MAX_SEGMENT_LEN));
    assert_eq!(Name::parse(&ok).unwrap().app().len(), MAX_SEGMENT_LEN);
    let bad = format!("public:a.{}", seg(MAX_SEGMENT_LEN + 1));
    let err = name_err(&bad);
    assert_eq!(
        err.kind(),
        K::SegmentTooLong {
            len: MAX_SEGMENT_LEN + 1
        }
    );
    assert_eq!((err.segment(), err.offset()), (Some(1), Some(9)));
}

#[test]
fn name_length_limit() {
    // "public:" (7) + 64 + 1 + 64 + 1 + 64 + 1 + 53 = 255.
    let ok = format!("public:{}.{}.{}.{}", seg(64), seg(64), seg(64), seg(53));
    assert_eq!(ok.len(), MAX_NAME_LEN);
    assert!(Name::parse(&ok).is_ok());
    let bad = format!("{ok}a");
    assert_eq!(name_err(&bad).kind(), K::TooLong { len: 256 });
    // Huge and hostile inputs are rejected by length before anything else.
    assert_eq!(
        name_err(&"\u{0}".repeat(100_000)).kind(),
        K::TooLong { len: 100_000 }
    );
}

#[test]
fn empty_input() {
    assert_eq!(name_err("").kind(), K::Empty);
    assert_eq!(pattern_err("").kind(), K::Empty);
}

#[test]
fn error_messages_say_what_and_where() {
    let msg = name_err("public:chat.Rooms").to_string();
    assert_eq!(
        msg,
        "invalid channel name: segment 1 has 'R' at byte 12; segments use only a-z, 0-9, '-' and '_'"
    );
    assert_eq!(
        name_err("private:chat.dm").to_string(),
        "invalid channel name: a private name needs an id segment (private:app.domain.id)"
    );
    assert_eq!(
        name_err("public:a.b\u{0}").to_string(),
        "invalid channel name: segment 1 has '\\0' at byte 10; segments use only a-z, 0-9, '-' and '_'"
    );
    let err = pattern_err("public:chat.**.x");
    assert_eq!(
        err.to_string(),
        "invalid channel pattern: '**' in segment 1 at byte 12 must be the last segment"
    );
    // It is a std error.
    let boxed: Box<dyn std::error::Error> = Box::new(err);
    assert!(boxed.to_string().starts_with("invalid channel pattern"));
}

// ---------------------------------------------------------------------------------------------
// Name::build

#[test]
fn build_composes_valid_names() {
    let n = Name::build(Visibility::Public, "chat", "rooms", None, None).unwrap();
    assert_eq!(n.as_str(), "public:chat.rooms");
    let n = Name::build(
        Visibility::Private,
        "chat",
        "dm",
        Some("u1"),
        Some("typing"),
    )
    .unwrap();
    assert_eq!(n.as_str(), "private:chat.dm.u1.typing");
    assert_eq!(n.topic(), Some("typing"));
    assert_eq!(Name::parse(n.as_str()).unwrap(), n);
}

#[test]
fn build_rejects_what_parse_rejects() {
    fn b(app: &str, domain: &str, id: Option<&str>, topic: Option<&str>) -> Result<Name, GErr> {
        Name::build(Visibility::Public, app, domain, id, topic)
    }
    assert_eq!(
        b("chat", "dm", None, Some("t")).unwrap_err().kind(),
        K::TopicWithoutId
    );
    assert_eq!(
        Name::build(Visibility::Private, "chat", "dm", None, None)
            .unwrap_err()
            .kind(),
        K::PrivateWithoutId
    );
    let err = b("chat", "", None, None).unwrap_err();
    assert_eq!(
        (err.kind(), err.segment(), err.offset()),
        (K::EmptySegment, Some(1), Some(12))
    );
    // A '.' inside a part would change the structure: rejected, pointing at the dot.
    let err = b("chat", "a.b", None, None).unwrap_err();
    assert_eq!(
        (err.kind(), err.segment(), err.offset()),
        (K::InvalidChar { ch: '.' }, Some(1), Some(13))
    );
    assert_eq!(
        b("ch:at", "dm", None, None).unwrap_err().kind(),
        K::InvalidChar { ch: ':' }
    );
    assert_eq!(
        b("Chat", "dm", None, None).unwrap_err().kind(),
        K::InvalidChar { ch: 'C' }
    );
    assert_eq!(
        b("chat", "dm", Some("*"), None).unwrap_err().kind(),
        K::InvalidChar { ch: '*' }
    );
    assert_eq!(
        b(&seg(65), "dm", None, None).unwrap_err().kind(),
        K::SegmentTooLong { len: 65 }
    );
    let long = seg(64);
    assert_eq!(
        b(&long, &long, Some(&long), Some(&long))
            .unwrap_err()
            .kind(),
        K::TooLong {
            len: 7 + 4 * 64 + 3
        }
    );
    assert_eq!(
        b("chat", "dm", None, None).unwrap().as_str(),
        "public:chat.dm"
    );
}

// ---------------------------------------------------------------------------------------------
// Patterns: parsing

#[test]
fn patterns_parse_and_round_trip() {
    for s in [
        "public:chat",
        "public:*",
        "public:**",
        "public:chat.rooms",
        "public:chat.*",
        "public:*.rooms.*",
        "private:chat.dm.*.**",
        "public:a.b.c.d.e.f.g.h",
        "public:a.b.c.d.e.f.g.**",
    ] {
        let p = Pattern::parse(s).unwrap();
        let shown = p.to_string();
        assert_eq!(shown, s);
        assert_eq!(Pattern::parse(&shown).unwrap(), p);
        assert_eq!(s.parse::<Pattern>().unwrap(), p);
    }
    let p = Pattern::parse("private:chat.*.x.**").unwrap();
    assert_eq!(p.visibility(), Visibility::Private);
    assert_eq!(
        p.segments().collect::<Vec<_>>(),
        [
            PatternSegment::Literal("chat"),
            PatternSegment::Star,
            PatternSegment::Literal("x"),
            PatternSegment::DoubleStar
        ]
    );
    assert!(!p.is_exact());
    assert!(Pattern::parse("public:a.b").unwrap().is_exact());
}

#[test]
fn pattern_depth_is_capped() {
    let ok = format!("public:{}", ["a"; MAX_PATTERN_DEPTH].join("."));
    assert!(Pattern::parse(&ok).is_ok());
    let deep = format!("public:{}", ["a"; MAX_PATTERN_DEPTH + 1].join("."));
    let err = pattern_err(&deep);
    assert_eq!(
        err.kind(),
        K::TooManySegments {
            max: MAX_PATTERN_DEPTH
        }
    );
    assert_eq!(err.segment(), Some(MAX_PATTERN_DEPTH));
    let stars = format!("public:{}", vec!["**"; 40].join("."));
    assert!(Pattern::parse(&stars).is_err());
    let stars = format!("public:{}", ["*"; 9].join("."));
    assert_eq!(
        pattern_err(&stars).kind(),
        K::TooManySegments {
            max: MAX_PATTERN_DEPTH
        }
    );
}

#[test]
fn double_star_only_last() {
    for bad in [
        "public:**.a",
        "public:a.**.b",
        "public:**.**",
        "public:a.**.*",
    ] {
        assert_eq!(pattern_err(bad).kind(), K::DoubleStarNotLast, "{bad:?}");
    }
}

#[test]
fn wildcards_are_whole_segments() {
    for bad in [
        "public:foo*",
        "public:*foo",
        "public:a.f*o",
        "public:***",
        "public:a.****",
        "public:*-",
    ] {
        let err = pattern_err(bad);
        assert_eq!(err.kind(), K::PartialWildcard, "{bad:?}");
    }
    let err = pattern_err("public:chat.room*");
    assert_eq!((err.segment(), err.offset()), (Some(1), Some(12)));
}

#[test]
fn no_wildcard_visibility() {
    for bad in ["*:chat.rooms", "**:chat.**"] {
        assert_eq!(pattern_err(bad).kind(), K::WildcardVisibility, "{bad:?}");
    }
    assert_eq!(pattern_err("Public:a.*").kind(), K::UnknownVisibility);
    assert_eq!(pattern_err("a.*").kind(), K::MissingVisibility);
}

#[test]
fn patterns_obey_the_segment_rules() {
    assert_eq!(pattern_err("public:").kind(), K::EmptySegment);
    assert_eq!(pattern_err("public:a..*").kind(), K::EmptySegment);
    assert_eq!(pattern_err("public:a.*.").kind(), K::EmptySegment);
    assert_eq!(pattern_err("public:A.*").kind(), K::InvalidChar { ch: 'A' });
    assert_eq!(
        pattern_err("public:a.b:c").kind(),
        K::InvalidChar { ch: ':' }
    );
    assert_eq!(
        pattern_err("public:a. b").kind(),
        K::InvalidChar { ch: ' ' }
    );
    assert_eq!(
        pattern_err("public:\u{e9}").kind(),
        K::InvalidChar { ch: '\u{e9}' }
    );
    assert_eq!(
        pattern_err(&format!("public:{}", seg(65))).kind(),
        K::SegmentTooLong { len: 65 }
    );
    let long = format!("public:{}.{}.{}.{}", seg(64), seg(64), seg(64), seg(64));
    assert_eq!(pattern_err(&long).kind(), K::TooLong { len: long.len() });
}

// ---------------------------------------------------------------------------------------------
// Patterns: matching

fn m(pattern: &str, name: &str) -> bool {
    let p = Pattern::parse(pattern).unwrap();
    let n = Name::parse(name).unwrap();
    let by_ref = p.matches_ref(NameRef::parse(name).unwrap());
    assert_eq!(p.matches(&n), by_ref);
    assert_eq!(p.matches_str(name), by_ref);
    by_ref
}

#[test]
fn literal_patterns_match_only_themselves() {
    assert!(m("public:chat.rooms", "public:chat.rooms"));
    assert!(!m("public:chat.rooms", "public:chat.room"));
    assert!(!m("public:chat.rooms", "public:chat.rooms.x"));
    assert!(!m("public:chat.rooms.x", "public:chat.rooms"));
    assert!(Pattern::exact(&Name::parse("public:a.b.c").unwrap()).matches_str("public:a.b.c"));
}

#[test]
fn star_matches_exactly_one_segment_anywhere() {
    assert!(m("public:chat.*", "public:chat.rooms"));
    assert!(!m("public:chat.*", "public:chat.rooms.lobby"));
    assert!(m("public:*.rooms", "public:chat.rooms"));
    assert!(!m("public:*.rooms", "public:chat.halls"));
    assert!(m("public:chat.*.lobby", "public:chat.rooms.lobby"));
    assert!(m("public:*.*.*.*", "public:a.b.c.d"));
    assert!(!m("public:*.*.*.*", "public:a.b.c"));
    assert!(!m("public:*", "public:a.b"));
}

#[test]
fn double_star_matches_one_or_more_remaining_segments() {
    assert!(m("public:chat.**", "public:chat.rooms"));
    assert!(m("public:chat.**", "public:chat.rooms.lobby"));
    assert!(m("public:chat.**", "public:chat.rooms.lobby.typing"));
    assert!(!m("public:chat.**", "public:news.rooms"));
    assert!(m("public:**", "public:a.b"));
    assert!(m("public:**", "public:a.b.c.d"));
    assert!(!m("public:chat.rooms.**", "public:chat.rooms"));
    assert!(m("public:chat.rooms.**", "public:chat.rooms.x"));
    assert!(m("public:*.*.**", "public:a.b.c"));
    assert!(!m("public:*.*.**", "public:a.b"));
    assert!(!m("public:a.b.c.d.**", "public:a.b.c.d"));
}

#[test]
fn visibility_must_match() {
    assert!(!m("public:chat.**", "private:chat.dm.u1"));
    assert!(!m("private:chat.**", "public:chat.dm.u1"));
    assert!(m("private:chat.**", "private:chat.dm.u1"));
    assert!(!m("public:chat.dm.u1", "private:chat.dm.u1"));
}

#[test]
fn invalid_names_match_nothing() {
    let p = Pattern::parse("public:**").unwrap();
    for bad in ["", "public:A.b", "public:a", "x", "public:a.b.c.d.e"] {
        assert!(!p.matches_str(bad), "{bad:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// PatternIndex

fn hits(index: &PatternIndex<&'static str>, name: &str) -> Vec<&'static str> {
    let name = Name::parse(name).unwrap();
    let mut out = Vec::new();
    let n = index.for_each_match(name.as_name_ref(), |_, v| out.push(*v));
    assert_eq!(n, out.len());
    assert_eq!(index.matches(&name).len(), n);
    out.sort();
    out
}

#[test]
fn index_routes_names_to_matching_patterns() {
    let mut index = PatternIndex::new();
    let p = |s| Pattern::parse(s).unwrap();
    index.insert(&p("public:chat.rooms"), "exact");
    index.insert(&p("public:chat.*"), "star");
    index.insert(&p("public:chat.**"), "tail");
    index.insert(&p("public:*.rooms.**"), "mid");
    index.insert(&p("public:**"), "all");
    index.insert(&p("private:chat.**"), "private");
    assert_eq!(index.len(), 6);

    assert_eq!(
        hits(&index, "public:chat.rooms"),
        ["all", "exact", "star", "tail"]
    );
    assert_eq!(hits(&index, "public:chat.rooms.x"), ["all", "mid", "tail"]);
    assert_eq!(hits(&index, "public:news.today"), ["all"]);
    assert_eq!(hits(&index, "private:chat.dm.u1"), ["private"]);
    assert!(index.has_match(Name::parse("public:x.y").unwrap().as_name_ref()));
    assert!(!index.has_match(Name::parse("private:x.y.z").unwrap().as_name_ref()));
}

#[test]
fn index_values_may_share_a_pattern_and_removal_is_by_id() {
    let mut index = PatternIndex::new();
    let p = Pattern::parse("public:chat.*").unwrap();
    let a = index.insert(&p, "a");
    let b = index.insert(&p, "b");
    assert_ne!(a, b);
    assert_eq!(hits(&index, "public:chat.x"), ["a", "b"]);
    assert_eq!(index.get(a), Some(&"a"));
    assert_eq!(index.pattern(b), Some(&p));
    *index.get_mut(b).unwrap() = "bb";
    assert_eq!(index.remove(a), Some("a"));
    assert_eq!(index.remove(a), None, "a stale id removes nothing");
    assert!(!index.contains(a));
    assert_eq!(hits(&index, "public:chat.x"), ["bb"]);
    assert_eq!(index.remove(b), Some("bb"));
    assert!(index.is_empty());
    assert!(index.trie_is_pruned());
}

#[test]
fn index_removal_prunes_every_node() {
    let mut index = PatternIndex::new();
    let mut ids = Vec::new();
    for (i, s) in [
        "public:a.b.c.d",
        "public:a.*.c.**",
        "public:a.b",
        "private:x.*.z",
        "public:**",
        "public:a.b.c.d.e.f.g.h",
    ]
    .iter()
    .enumerate()
    {
        ids.push(index.insert(&Pattern::parse(s).unwrap(), i));
    }
    assert_eq!(index.trie_values(), ids.len());
    for (n, id) in ids.iter().rev().enumerate() {
        assert!(index.remove(*id).is_some());
        assert_eq!(index.trie_values(), ids.len() - n - 1);
    }
    assert!(index.trie_is_pruned());
    index.clear();
    assert!(index.is_empty());
}

#[test]
fn index_is_send_and_sync_for_send_sync_values() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<PatternIndex<u32>>();
    assert_send_sync::<Name>();
    assert_send_sync::<Pattern>();
    assert_send_sync::<NameRef<'static>>();
}

#[cfg(feature = "serde")]
#[test]
fn serde_uses_the_string_and_validates() {
    let n = Name::parse("private:chat.dm.u1").unwrap();
    assert_eq!(serde_json::to_string(&n).unwrap(), "\"private:chat.dm.u1\"");
    assert_eq!(
        serde_json::from_str::<Name>("\"private:chat.dm.u1\"").unwrap(),
        n
    );
    let err = serde_json::from_str::<Name>("\"private:chat.dm\"").unwrap_err();
    assert!(
        err.to_string().contains("private name needs an id"),
        "{err}"
    );
    assert!(serde_json::from_str::<Name>("42").is_err());

    let p = Pattern::parse("public:chat.*.**").unwrap();
    assert_eq!(serde_json::to_string(&p).unwrap(), "\"public:chat.*.**\"");
    assert_eq!(
        serde_json::from_str::<Pattern>("\"public:chat.*.**\"").unwrap(),
        p
    );
    assert!(serde_json::from_str::<Pattern>("\"public:**.x\"").is_err());

    assert_eq!(
        serde_json::to_string(&Visibility::Private).unwrap(),
        "\"private\""
    );
    assert_eq!(
        serde_json::from_str::<Visibility>("\"public\"").unwrap(),
        Visibility::Public
    );
}
