//! The life of a channel, from open to sweep, with every event printed.
//!
//! Run with `cargo run --example channels`. Time is a hand-moved clock, so the story is
//! deterministic; in production the manager uses the system clock and `run_sweeper`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use lindy::channels::{LocalBus, Manager, Subscription};
use lindy::grammar::{Name, Pattern};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let clock = Arc::new(AtomicU64::new(0));
    let now = {
        let clock = clock.clone();
        move || clock.load(Ordering::Relaxed)
    };
    let set = |ms: u64| clock.store(ms, Ordering::Relaxed);

    // Two nodes sharing events over an in-process bus (a Redis or BroadcastChannel bus in real
    // deployments).
    let bus = LocalBus::new();
    let node_a = Arc::new(Manager::with_clock(now.clone()));
    let node_b = Arc::new(Manager::with_clock(now));
    bus.attach(&node_a);
    bus.attach(&node_b);

    let mut on_a = node_a.subscribe(64);
    let mut on_b = node_b.subscribe_matching(&Pattern::parse("public:chat.**")?, 64);
    let mut slow = node_a.subscribe(1);

    let lobby = Name::parse("public:chat.rooms.lobby")?;
    let dm = Name::parse("private:chat.dm.u42")?;

    println!("── t=0s  open {lobby} (TTL 60 s) and create {dm} (TTL 30 s)");
    node_a.open_public(&lobby, Some(Duration::from_secs(60)))?;
    node_a.create_private(&dm, Some(Duration::from_secs(30)))?;
    show("node a", &mut on_a);
    println!("   next sweep due at {:?} ms", node_a.poll_timeout());

    set(20_000);
    println!("── t=20s touch both (activity postpones expiry)");
    node_a.touch(&lobby)?;
    node_a.touch(&dm)?;
    println!("   next sweep due at {:?} ms", node_a.poll_timeout());

    set(50_000);
    println!("── t=50s sweep: the private channel was idle for its whole TTL");
    let n = node_a.handle_timeout(node_a.now());
    println!("   {n} transition(s)");
    show("node a", &mut on_a);

    set(80_000);
    println!("── t=80s sweep: the public channel expires too");
    let n = node_a.handle_timeout(node_a.now());
    println!(
        "   {n} transition(s); lobby is now {}",
        node_a.get(&lobby)?.state
    );
    show("node a", &mut on_a);
    let err = node_a.touch(&lobby).unwrap_err();
    println!("   touch on a closed channel: {} ({err})", err.code());

    set(90_000);
    println!("── t=90s re-open the lobby, then delete it");
    node_a.open_public(&lobby, None)?;
    node_a.delete(&lobby)?;
    show("node a", &mut on_a);
    let err = node_a.open_public(&lobby, None).unwrap_err();
    println!(
        "   open_public on a deleted channel: {} ({err})",
        err.code()
    );

    println!("── node b saw node a's public-chat events over the bus:");
    show("node b", &mut on_b);

    println!("── a subscriber with room for one event:");
    show("slow", &mut slow);
    println!(
        "   it missed {} event(s) — counted, not silently lost",
        slow.missed()
    );
    Ok(())
}

fn show(who: &str, sub: &mut Subscription) {
    while let Ok(e) = sub.try_recv() {
        println!("   [{who}] {:>7} {} at {} ms", e.kind, e.name, e.at);
    }
}
