//! The cross-node seam: two (and three) managers over the in-process bus, echo suppression, and
//! a custom bus recording what is published.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use lindy::channels::{
    Event, EventBus, EventKind, LocalBus, Manager, NodeId, RemoteEvent, Subscription,
};
use lindy::grammar::Name;

fn name(s: &str) -> Name {
    Name::parse(s).unwrap()
}

fn drain(s: &mut Subscription) -> Vec<(EventKind, String)> {
    std::iter::from_fn(|| s.try_recv())
        .map(|e| (e.kind, e.name.to_string()))
        .collect()
}

fn node() -> Arc<Manager> {
    Arc::new(Manager::with_clock(|| 1_000))
}

#[test]
fn two_managers_see_each_others_events_once_and_never_their_own_echo() {
    let bus = LocalBus::new();
    let (a, b) = (node(), node());
    let id_a = bus.attach(&a);
    let id_b = bus.attach(&b);
    assert_ne!(id_a, id_b);
    assert_eq!((a.node_id(), b.node_id()), (Some(id_a), Some(id_b)));
    assert_eq!(bus.members(), 2);
    let (mut on_a, mut on_b) = (a.subscribe(16), b.subscribe(16));

    a.open_public(&name("public:chat.a"), Some(Duration::ZERO))
        .unwrap();
    b.create_private(&name("private:chat.dm.b"), None).unwrap();
    a.sweep(1_000);

    let expected = [
        (EventKind::Opened, "public:chat.a".to_string()),
        (EventKind::Opened, "private:chat.dm.b".to_string()),
        (EventKind::Closed, "public:chat.a".to_string()),
    ];
    assert_eq!(drain(&mut on_a), expected, "a: its own once, b's once");
    assert_eq!(drain(&mut on_b), expected, "b: a's once, its own once");
    assert_eq!(bus.published(), 3);
    // Events carry state only: b's registry knows nothing of a's channel.
    assert!(b.get(&name("public:chat.a")).is_err());
}

#[test]
fn remote_events_are_not_republished() {
    let bus = LocalBus::new();
    let (a, b, c) = (node(), node(), node());
    for m in [&a, &b, &c] {
        bus.attach(m);
    }
    let mut on_c = c.subscribe(16);
    a.open_public(&name("public:x.y"), None).unwrap();
    // Had b re-published what it received, c would see the event twice.
    assert_eq!(drain(&mut on_c), [(EventKind::Opened, "public:x.y".into())]);
    assert_eq!(bus.published(), 1);
}

#[test]
fn apply_remote_drops_only_this_nodes_echo() {
    let bus = LocalBus::new();
    let a = node();
    let id = bus.attach(&a);
    let mut sub = a.subscribe(4);
    let event = Event::new(EventKind::Opened, name("public:a.b"), 5);
    assert!(!a.apply_remote(&RemoteEvent {
        origin: id,
        event: event.clone()
    }));
    assert!(sub.try_recv().is_none());
    assert!(a.apply_remote(&RemoteEvent {
        origin: NodeId(999),
        event: event.clone()
    }));
    assert_eq!(sub.try_recv(), Some(event));
}

#[test]
fn a_manager_without_a_bus_accepts_every_remote_event() {
    let a = node();
    assert_eq!(a.node_id(), None);
    let mut sub = a.subscribe(4);
    assert!(a.apply_remote(&RemoteEvent {
        origin: NodeId(1),
        event: Event::new(EventKind::Deleted, name("public:a.b"), 5),
    }));
    assert_eq!(sub.try_recv().unwrap().kind, EventKind::Deleted);
}

#[test]
fn a_dropped_member_stops_receiving_and_leaves_the_bus() {
    let bus = LocalBus::new();
    let (a, b) = (node(), node());
    bus.attach(&a);
    bus.attach(&b);
    let mut on_b = b.subscribe(4);
    drop(b);
    assert_eq!(bus.members(), 1);
    a.open_public(&name("public:a.b"), None).unwrap();
    assert!(on_b.try_recv().is_none());
    assert!(on_b.is_closed());
}

#[test]
fn attaching_twice_replaces_the_membership() {
    let bus = LocalBus::new();
    let (a, b) = (node(), node());
    let first = bus.attach(&a);
    let second = bus.attach(&a);
    assert_ne!(first, second);
    assert_eq!(a.node_id(), Some(second));
    bus.attach(&b);
    assert_eq!(bus.members(), 2);
    let mut on_b = b.subscribe(4);
    a.open_public(&name("public:a.b"), None).unwrap();
    assert_eq!(
        drain(&mut on_b).len(),
        1,
        "delivered once, not once per attach"
    );
}

#[test]
fn clear_bus_keeps_events_local() {
    let bus = LocalBus::new();
    let (a, b) = (node(), node());
    bus.attach(&a);
    bus.attach(&b);
    a.clear_bus();
    assert_eq!(a.node_id(), None);
    let mut on_b = b.subscribe(4);
    a.open_public(&name("public:a.b"), None).unwrap();
    assert!(on_b.try_recv().is_none());
    assert_eq!(bus.published(), 0);
}

/// A bus that records what it is given, as a network bus's outbound half would.
struct Recorder {
    node: NodeId,
    sent: Mutex<Vec<RemoteEvent>>,
}

impl EventBus for Recorder {
    fn node_id(&self) -> NodeId {
        self.node
    }
    fn publish(&self, event: &RemoteEvent) {
        self.sent.lock().unwrap().push(event.clone());
    }
}

#[test]
fn a_custom_bus_gets_every_local_event_stamped_with_its_node_in_order() {
    let recorder = Arc::new(Recorder {
        node: NodeId(0xabc),
        sent: Mutex::new(Vec::new()),
    });
    let a = node();
    a.set_bus(recorder.clone());
    let n = name("private:a.b.c");
    a.create_private(&n, Some(Duration::from_secs(1))).unwrap();
    a.touch(&n).unwrap();
    a.sweep(2_000);
    // An event arriving from elsewhere is delivered locally but not handed back to the bus.
    a.apply_remote(&RemoteEvent {
        origin: NodeId(1),
        event: Event::new(EventKind::Opened, name("public:z.z"), 0),
    });
    let sent = recorder.sent.lock().unwrap().clone();
    let got: Vec<_> = sent
        .iter()
        .map(|r| (r.origin, r.event.kind, r.event.at))
        .collect();
    assert_eq!(
        got,
        [
            (NodeId(0xabc), EventKind::Opened, 1_000),
            (NodeId(0xabc), EventKind::Deleted, 2_000)
        ]
    );
    assert_eq!(NodeId(0xabc).to_string(), "node-abc");
}

#[test]
fn bus_traffic_from_many_threads_is_delivered_exactly_once() {
    let bus = LocalBus::new();
    let (a, b) = (node(), node());
    bus.attach(&a);
    bus.attach(&b);
    let mut on_a = a.subscribe(10_000);
    let mut on_b = b.subscribe(10_000);
    let threads: Vec<_> = [a.clone(), b.clone()]
        .into_iter()
        .enumerate()
        .flat_map(|(k, m)| {
            (0..2).map(move |t| {
                let m = m.clone();
                std::thread::spawn(move || {
                    for i in 0..200 {
                        m.open_public(&name(&format!("public:n{k}.t{t}.c{i}")), None)
                            .unwrap();
                    }
                })
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    let mut seen_a: Vec<_> = drain(&mut on_a).into_iter().map(|e| e.1).collect();
    let mut seen_b: Vec<_> = drain(&mut on_b).into_iter().map(|e| e.1).collect();
    seen_a.sort();
    seen_b.sort();
    assert_eq!(seen_a.len(), 800);
    seen_a.dedup();
    assert_eq!(seen_a.len(), 800, "no duplicates");
    assert_eq!(seen_a, seen_b);
}

/// A bus that calls back into the manager that publishes to it (issue 12: `publish` used to run
/// under the manager's registry lock, so this deadlocked). It reads the registry and, for every
/// `Opened` of `public:audit.*`, opens a mirror channel — events caused from inside `publish`
/// are published after it returns, in order.
struct Reentrant {
    node: NodeId,
    manager: Mutex<std::sync::Weak<Manager>>,
    sent: Mutex<Vec<(EventKind, String, usize)>>,
}

impl EventBus for Reentrant {
    fn node_id(&self) -> NodeId {
        self.node
    }
    fn publish(&self, event: &RemoteEvent) {
        let manager = self.manager.lock().unwrap().upgrade().unwrap();
        let seen = manager.len(); // takes the registry lock: must not deadlock
        let name = event.event.name.to_string();
        self.sent
            .lock()
            .unwrap()
            .push((event.event.kind, name.clone(), seen));
        if event.event.kind == EventKind::Opened && name.starts_with("public:audit.") {
            let mirror = Name::parse(&name.replace("public:audit.", "public:mirror.")).unwrap();
            manager.open_public(&mirror, None).unwrap();
        }
    }
}

#[test]
fn a_bus_may_call_back_into_the_publishing_manager() {
    let manager = node();
    let bus = Arc::new(Reentrant {
        node: NodeId(7),
        manager: Mutex::new(Arc::downgrade(&manager)),
        sent: Mutex::new(Vec::new()),
    });
    manager.set_bus(bus.clone());
    manager
        .open_public(&name("public:audit.log.a"), None)
        .unwrap();
    manager
        .open_public(&name("public:audit.log.b"), None)
        .unwrap();
    let sent = bus.sent.lock().unwrap().clone();
    assert_eq!(
        sent,
        [
            (EventKind::Opened, "public:audit.log.a".to_string(), 1),
            (EventKind::Opened, "public:mirror.log.a".to_string(), 2),
            (EventKind::Opened, "public:audit.log.b".to_string(), 3),
            (EventKind::Opened, "public:mirror.log.b".to_string(), 4),
        ]
    );
    assert!(manager.is_open(&name("public:mirror.log.b")));
}
