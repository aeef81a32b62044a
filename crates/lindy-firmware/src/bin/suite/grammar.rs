//! The channel grammar: names, patterns, the pattern index.

use alloc::string::ToString;
use alloc::vec::Vec;

use lindy::grammar::{GrammarErrorKind, Name, NameRef, Pattern, PatternIndex, Visibility};
use lindy_firmware::harness::{Case, Outcome};
use lindy_firmware::{cases, ensure, ensure_eq};

pub const CASES: [Case; 5] = cases![
    names_parse_into_their_segments,
    bad_names_are_refused_with_a_code_and_a_place,
    patterns_match_one_or_many_segments,
    the_index_routes_a_name_to_every_matching_pattern,
    removing_every_subscription_prunes_the_index,
];

fn names_parse_into_their_segments() -> Outcome {
    let n = Name::parse("private:chat.dm.u42.typing").unwrap();
    ensure_eq!(n.visibility(), Visibility::Private);
    ensure_eq!(
        (n.app(), n.domain(), n.id(), n.topic()),
        ("chat", "dm", Some("u42"), Some("typing"))
    );
    ensure_eq!(n.segment_count(), 4);
    ensure!(n.segments().eq(["chat", "dm", "u42", "typing"]));
    let built = Name::build(
        Visibility::Private,
        "chat",
        "dm",
        Some("u42"),
        Some("typing"),
    )
    .unwrap();
    ensure_eq!(built, n);
    // The borrowed form parses without allocating.
    let before = crate::HEAP.stats().allocations;
    let r = NameRef::parse("public:app.jobs").unwrap();
    ensure_eq!((r.app(), r.domain(), r.id()), ("app", "jobs", None));
    ensure_eq!(crate::HEAP.stats().allocations, before);
    Ok(())
}

fn bad_names_are_refused_with_a_code_and_a_place() -> Outcome {
    let err = Name::parse("public:chat.Rooms").unwrap_err();
    ensure_eq!(err.code(), "CHANNEL_INVALID");
    ensure_eq!(err.kind(), GrammarErrorKind::InvalidChar { ch: 'R' });
    ensure_eq!((err.segment(), err.offset()), (Some(1), Some(12)));
    ensure_eq!(
        err.to_string(),
        "invalid channel name: segment 1 has 'R' at byte 12; segments use only a-z, 0-9, '-' and '_'"
    );
    for (bad, kind) in [
        ("", GrammarErrorKind::Empty),
        ("chat.rooms", GrammarErrorKind::MissingVisibility),
        ("secret:chat.rooms", GrammarErrorKind::UnknownVisibility),
        ("public:chat", GrammarErrorKind::TooFewSegments { found: 1 }),
        ("public:a..b", GrammarErrorKind::EmptySegment),
        ("private:chat.dm", GrammarErrorKind::PrivateWithoutId),
        (
            "public:a.b.c.d.e",
            GrammarErrorKind::TooManySegments { max: 4 },
        ),
    ] {
        ensure_eq!(Name::parse(bad).map_err(|e| e.kind()), Err(kind));
    }
    let long = "public:a.".to_string() + &"x".repeat(300);
    ensure!(matches!(
        Name::parse(&long).map_err(|e| e.kind()),
        Err(GrammarErrorKind::TooLong { .. })
    ));
    let err = Pattern::parse("public:chat.**.lobby").unwrap_err();
    ensure_eq!(
        (err.code(), err.kind()),
        ("PATTERN_INVALID", GrammarErrorKind::DoubleStarNotLast)
    );
    Ok(())
}

fn patterns_match_one_or_many_segments() -> Outcome {
    let lobby = Name::parse("public:chat.rooms.lobby").unwrap();
    let typing = Name::parse("public:chat.rooms.lobby.typing").unwrap();
    let private = Name::parse("private:chat.rooms.lobby").unwrap();
    let one = Pattern::parse("public:chat.*.lobby").unwrap();
    let many = Pattern::parse("public:chat.**").unwrap();
    ensure!(one.matches(&lobby));
    ensure!(!one.matches(&typing)); // `*` is exactly one segment
    ensure!(many.matches(&lobby) && many.matches(&typing));
    ensure!(!many.matches(&private)); // a pattern is bound to its visibility
    ensure!(Pattern::exact(&lobby).matches(&lobby));
    Ok(())
}

fn the_index_routes_a_name_to_every_matching_pattern() -> Outcome {
    let mut index = PatternIndex::new();
    index.insert(&Pattern::parse("public:chat.**").unwrap(), "logger");
    let bot = index.insert(&Pattern::parse("public:chat.*.lobby").unwrap(), "bot");
    index.insert(&Pattern::parse("public:game.**").unwrap(), "game");
    let name = Name::parse("public:chat.rooms.lobby").unwrap();
    let mut hits = Vec::new();
    index.for_each_match(name.as_name_ref(), |_, who| hits.push(*who));
    hits.sort_unstable();
    ensure_eq!(hits, ["bot", "logger"]);
    ensure_eq!(index.get(bot), Some(&"bot"));
    ensure_eq!(index.remove(bot), Some("bot"));
    ensure_eq!(index.matches(&name).len(), 1);
    ensure!(!index.has_match(Name::parse("public:other.x").unwrap().as_name_ref()));
    Ok(())
}

fn removing_every_subscription_prunes_the_index() -> Outcome {
    let mut index = PatternIndex::new();
    let ids: Vec<_> = [
        "public:a.*.c",
        "public:a.b.**",
        "public:x.y",
        "private:a.b.c",
    ]
    .iter()
    .map(|p| index.insert(&Pattern::parse(p).unwrap(), ()))
    .collect();
    ensure_eq!(index.len(), 4);
    for id in ids {
        ensure!(index.remove(id).is_some());
    }
    ensure!(index.is_empty());
    ensure!(index.trie_is_pruned());
    Ok(())
}
