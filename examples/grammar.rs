//! A tour of lindy's channel grammar: names, errors, patterns, and routing with a PatternIndex.
//!
//! Run it with `make demo` or `cargo run --example grammar`.

use lindy::grammar::{Name, NameRef, Pattern, PatternIndex, Visibility};

fn main() {
    println!("lindy channel grammar: <visibility>:<app>.<domain>[.<id>][.<topic>]\n");

    println!("1. Parsing names: every input is checked, mistakes say what and where");
    for input in [
        "public:chat.rooms",
        "public:chat.rooms.lobby",
        "private:chat.dm.u-42.typing",
        "private:chat.dm",
        "public:chat.Rooms",
        "public:chat..rooms",
        "Public:chat.rooms",
        "public:chat.rooms:lobby",
        "public:chat.r\u{e9}ception",
        "public:chat",
        "public:a.b.c.d.e",
        "chat.rooms",
        "",
    ] {
        match Name::parse(input) {
            Ok(name) => println!(
                "   ok   {:<30} app={} domain={} id={:?} topic={:?}",
                format!("{input:?}"),
                name.app(),
                name.domain(),
                name.id(),
                name.topic()
            ),
            Err(err) => println!(
                "   err  {:<30} [{}] {err}",
                format!("{input:?}"),
                err.code()
            ),
        }
    }
    let long = format!("public:chat.{}", "x".repeat(70));
    if let Err(err) = Name::parse(&long) {
        println!(
            "   err  {:<30} [{}] {err}",
            "\"public:chat.xxx…(70)\"",
            err.code()
        );
    }

    println!("\n2. Building a name from parts (same rules; a topic needs an id)");
    let built = Name::build(
        Visibility::Private,
        "chat",
        "dm",
        Some("u-42"),
        Some("typing"),
    )
    .expect("valid parts");
    println!("   Name::build(private, chat, dm, u-42, typing) = {built}");
    println!(
        "   it round-trips: Name::parse(\"{built}\") == built: {}",
        Name::parse(built.as_str()).as_ref() == Ok(&built)
    );
    match Name::build(Visibility::Public, "chat", "dm", None, Some("typing")) {
        Ok(n) => println!("   unexpected: {n}"),
        Err(err) => println!(
            "   Name::build(public, chat, dm, -, typing) -> [{}] {err}",
            err.code()
        ),
    }

    println!("\n3. Patterns: '*' is one segment, '**' (last only) is one or more");
    let names = [
        "public:chat.rooms",
        "public:chat.rooms.lobby",
        "public:chat.rooms.lobby.typing",
        "public:news.today",
        "private:chat.rooms.lobby",
    ];
    let patterns = [
        "public:chat.rooms",
        "public:chat.*",
        "public:chat.*.lobby",
        "public:chat.**",
        "public:**",
    ];
    print!("   {:<32}", "");
    for p in &patterns {
        print!("{p:<22}");
    }
    println!();
    let parsed: Vec<Pattern> = patterns
        .iter()
        .map(|p| Pattern::parse(p).expect("valid"))
        .collect();
    for n in &names {
        // The borrowed form parses without allocating: the hot path for string keys.
        let name = NameRef::parse(n).expect("valid");
        print!("   {n:<32}");
        for p in &parsed {
            print!("{:<22}", if p.matches_ref(name) { "match" } else { "-" });
        }
        println!();
    }
    println!("   (the private name matches nothing: a pattern only matches its own visibility)");
    for bad in [
        "public:chat.**.typing",
        "public:chat.room*",
        "*:chat.rooms",
        "public:a.b.c.d.e.f.g.h.i",
    ] {
        let err = Pattern::parse(bad).unwrap_err();
        println!("   err  {:<28} [{}] {err}", format!("{bad:?}"), err.code());
    }

    println!("\n4. Routing with a PatternIndex (a subscription trie: one lookup costs O(depth))");
    let mut subscribers = PatternIndex::new();
    let subs = [
        ("public:chat.**", "audit-log"),
        ("public:chat.*.lobby", "lobby-bot"),
        ("public:chat.rooms.lobby.typing", "typing-indicator"),
        ("public:*.today", "front-page"),
        ("private:chat.dm.*.**", "dm-relay"),
    ];
    let mut ids = Vec::new();
    for (pattern, who) in subs {
        let id = subscribers.insert(&Pattern::parse(pattern).expect("valid"), who);
        println!("   {id}: {who:<17} subscribes to {pattern}");
        ids.push(id);
    }
    let route = |index: &PatternIndex<&str>, n: &str| {
        let name = NameRef::parse(n).expect("valid");
        let mut who = Vec::new();
        index.for_each_match(name, |_, w| who.push(*w));
        who.sort();
        println!("   {n:<34} -> {who:?}");
    };
    for n in [
        "public:chat.rooms.lobby",
        "public:chat.rooms.lobby.typing",
        "public:news.today",
        "private:chat.dm.u-42.typing",
        "public:weather.week",
    ] {
        route(&subscribers, n);
    }
    let gone = subscribers.remove(ids[0]).expect("present");
    println!(
        "   removed {} ({gone}); {} subscriptions left",
        ids[0],
        subscribers.len()
    );
    route(&subscribers, "public:chat.rooms.lobby");
}
