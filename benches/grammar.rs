//! Channel grammar: parsing and matching against the `regex` crate, and the pattern index
//! against a linear scan. Run with `cargo bench --bench grammar`.
//!
//! The regex peers do the same job: one regex per rule set, compiled once outside the timed loop.
//! Allocations are counted per operation (the `allocs/op` column).

#[path = "common/mod.rs"]
mod common;

use std::hint::black_box;

use common::{CountingAlloc, Table};
use lindy::grammar::{Name, NameRef, Pattern, PatternIndex};
use regex::Regex;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// Realistic names: short and long, public and private, 2 to 4 segments.
const NAMES: [&str; 8] = [
    "public:chat.rooms",
    "public:chat.rooms.lobby",
    "private:chat.dm.user-4711.typing",
    "public:scores.live.match-2026-06-08",
    "private:billing.invoices.acct_000123",
    "public:telemetry.sensors.greenhouse-north.humidity",
    "public:news.today",
    "private:iot.devices.esp32-a1b2c3d4e5f6.firmware",
];

/// The name grammar as one regex (validation only; the 255-byte cap is checked separately).
const NAME_RE: &str = r"^(?:public:[a-z0-9_-]{1,64}(?:\.[a-z0-9_-]{1,64}){1,3}|private:[a-z0-9_-]{1,64}(?:\.[a-z0-9_-]{1,64}){2,3})$";

/// The same, capturing each segment (what `Name::parse` gives you: the parts).
const NAME_CAPTURE_RE: &str = r"^(public|private):([a-z0-9_-]{1,64})\.([a-z0-9_-]{1,64})(?:\.([a-z0-9_-]{1,64}))?(?:\.([a-z0-9_-]{1,64}))?$";

/// Translates a lindy pattern into the equivalent anchored regex.
fn pattern_regex(p: &Pattern) -> Regex {
    let (vis, rest) = p.as_str().split_once(':').unwrap();
    let segs: Vec<String> = rest
        .split('.')
        .map(|s| match s {
            "*" => "[a-z0-9_-]+".to_string(),
            "**" => "[a-z0-9_-]+(?:\\.[a-z0-9_-]+)*".to_string(),
            lit => regex::escape(lit),
        })
        .collect();
    Regex::new(&format!("^{vis}:{}$", segs.join("\\."))).unwrap()
}

fn bench_parse() {
    let re = Regex::new(NAME_RE).unwrap();
    let cap = Regex::new(NAME_CAPTURE_RE).unwrap();
    let mut t = Table::new("Name::parse vs regex (8 names, 17–50 bytes)", "parse");
    let n = NAMES.len() as u64;
    let parse = t.case("lindy Name::parse (owned, 1 alloc)", 4_000_000, |iters| {
        for i in 0..iters {
            black_box(Name::parse(black_box(NAMES[(i % n) as usize])).is_ok());
        }
    });
    t.case("lindy NameRef::parse (borrowed)", 4_000_000, |iters| {
        for i in 0..iters {
            black_box(NameRef::parse(black_box(NAMES[(i % n) as usize])).is_ok());
        }
    });
    let re_ns = t.case("regex is_match (validate only)", 4_000_000, |iters| {
        for i in 0..iters {
            let s = black_box(NAMES[(i % n) as usize]);
            black_box(s.len() <= 255 && re.is_match(s));
        }
    });
    t.case("regex captures (validate + segments)", 1_000_000, |iters| {
        for i in 0..iters {
            let s = black_box(NAMES[(i % n) as usize]);
            let ok = s.len() <= 255
                && cap
                    .captures(s)
                    .is_some_and(|c| &c[1] == "public" || c.get(4).is_some());
            black_box(ok);
        }
    });
    t.print();
    println!(
        "\nName::parse: {parse:.1} ns (target ≤ 60 ns); regex is_match / Name::parse = {:.2}×",
        re_ns / parse
    );
}

fn bench_match() {
    let patterns: Vec<Pattern> = [
        "public:chat.rooms.lobby",
        "public:chat.*.lobby",
        "public:chat.**",
        "private:chat.dm.*.typing",
        "public:telemetry.sensors.*.humidity",
        "public:*.today",
        "private:iot.devices.**",
        "private:billing.*.*",
    ]
    .iter()
    .map(|s| Pattern::parse(s).unwrap())
    .collect();
    let regexes: Vec<Regex> = patterns.iter().map(pattern_regex).collect();
    let names: Vec<Name> = NAMES.iter().map(|s| Name::parse(s).unwrap()).collect();
    // Sanity: the regex peers agree with lindy on every pair.
    for (p, r) in patterns.iter().zip(&regexes) {
        for n in &names {
            assert_eq!(p.matches(n), r.is_match(n.as_str()), "{p} ~ {n}");
        }
    }
    // Every (pattern, name) pair of the 8×8 grid, shuffled by a fixed stride so the branch
    // predictor cannot learn the sequence; the loop indexes it with a mask (no division).
    let pairs: Vec<(usize, usize)> = (0..64usize)
        .map(|k| ((k * 37) % 64 / 8, (k * 37) % 8))
        .collect();
    let pair = |i: u64| pairs[(i & 63) as usize];

    let mut t = Table::new("Pattern::matches vs regex (8 patterns × 8 names)", "match");
    let m = t.case("lindy Pattern::matches (&Name)", 8_000_000, |iters| {
        for i in 0..iters {
            let (p, n) = pair(i);
            black_box(black_box(&patterns[p]).matches(black_box(&names[n])));
        }
    });
    t.case(
        "lindy Pattern::matches_str (parse + match)",
        4_000_000,
        |iters| {
            for i in 0..iters {
                let (p, n) = pair(i);
                black_box(black_box(&patterns[p]).matches_str(black_box(NAMES[n])));
            }
        },
    );
    let r = t.case("regex is_match (&str)", 4_000_000, |iters| {
        for i in 0..iters {
            let (p, n) = pair(i);
            black_box(black_box(&regexes[p]).is_match(black_box(NAMES[n])));
        }
    });
    t.print();
    println!(
        "\nPattern::matches: {m:.1} ns (target ≤ 15 ns, 0 allocs); regex / lindy = {:.1}×",
        r / m
    );
}

/// A subscription set that looks like a real deployment: many apps, each with exact
/// subscriptions and a share of wildcards at every level.
fn subscription_patterns(count: usize) -> Vec<Pattern> {
    (0..count)
        .map(|i| {
            let app = i % 97;
            let domain = (i / 97) % 31;
            let id = i / (97 * 31);
            let s = match i % 10 {
                0..=5 => format!("public:app{app}.dom{domain}.id{id}"),
                6 => format!("public:app{app}.dom{domain}.id{id}.*"),
                7 => format!("public:app{app}.*.id{id}"),
                8 => format!("private:app{app}.dom{domain}.id{id}.**"),
                _ => format!("public:app{app}.dom{domain}.**"),
            };
            Pattern::parse(&s).unwrap()
        })
        .collect()
}

fn lookup_names(count: usize) -> Vec<Name> {
    (0..64usize)
        .map(|k| {
            let i = (k * 7919) % count;
            let (app, domain, id) = (i % 97, (i / 97) % 31, i / (97 * 31));
            let s = match k % 4 {
                0 => format!("public:app{app}.dom{domain}.id{id}"),
                1 => format!("public:app{app}.dom{domain}.id{id}.events"),
                2 => format!("private:app{app}.dom{domain}.id{id}.x"),
                _ => format!("public:app{app}.nowhere.id{id}"),
            };
            Name::parse(&s).unwrap()
        })
        .collect()
}

fn bench_index() {
    let mut speedups = Vec::new();
    for &count in &[1_000usize, 10_000, 100_000] {
        let patterns = subscription_patterns(count);
        let names = lookup_names(count);
        let before = common::live_bytes();
        let mut index = PatternIndex::new();
        for (i, p) in patterns.iter().enumerate() {
            index.insert(p, i as u32);
        }
        let index_bytes = common::live_bytes() - before;
        // Both sides must find the same subscriptions.
        let mut total = 0;
        for n in &names {
            let linear = patterns.iter().filter(|p| p.matches(n)).count();
            assert_eq!(index.for_each_match(n.as_name_ref(), |_, _| {}), linear);
            total += linear;
        }
        assert!(total > 0, "the lookups must hit something");

        let k = names.len();
        let title = format!("PatternIndex lookup vs linear scan, {count} patterns");
        let mut t = Table::new(&title, "lookup");
        let idx = t.case("lindy PatternIndex::for_each_match", 2_000_000, |iters| {
            for i in 0..iters {
                let name = black_box(&names[i as usize % k]).as_name_ref();
                let mut sum = 0u32;
                index.for_each_match(name, |_, v| sum = sum.wrapping_add(*v));
                black_box(sum);
            }
        });
        let linear_iters = (20_000_000 / count as u64).max(20);
        let lin = t.case("linear scan of Pattern::matches", linear_iters, |iters| {
            for i in 0..iters {
                let name = black_box(&names[i as usize % k]);
                let mut sum = 0u32;
                for (v, p) in patterns.iter().enumerate() {
                    if p.matches(name) {
                        sum = sum.wrapping_add(v as u32);
                    }
                }
                black_box(sum);
            }
        });
        t.print();
        println!(
            "\n{count} patterns: index {idx:.0} ns, linear {lin:.0} ns: index is {:.0}× faster; \
             index memory ≈ {} bytes/pattern",
            lin / idx,
            index_bytes / count as u64
        );
        speedups.push((count, lin / idx));
    }
    let at_100k = speedups.last().map(|s| s.1).unwrap_or(0.0);
    println!("\nindex speed-up at 100k patterns: {at_100k:.0}× (target ≥ 100×)");
}

fn main() {
    // `cargo test --benches` passes `--bench`-less args; run everything either way (quick mode via
    // LINDY_BENCH_QUICK=1 shrinks the iteration counts).
    bench_parse();
    bench_match();
    bench_index();
}
