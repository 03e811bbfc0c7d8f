//! Integration tests of the object runtime: the collector on real object graphs, and tables
//! used the way the VM will use them.

use std::any::Any;
use tracery_lua::gc::{trace_fn, Heap, Marker, Trace, K_THREAD};
use tracery_lua::table::Table;
use tracery_lua::value::TValue;

/// A table's contents through its raw pointer.
fn t(p: *mut Table) -> &'static mut Table {
    // SAFETY: the tests only use tables that are alive (rooted or not yet collected) and
    // never hold two references to one table at a time.
    unsafe { &mut *p }
}

#[test]
fn cycles_survive_only_through_roots() {
    let mut h = Heap::new();
    // Two cycles: a <-> b (rooted via a) and c <-> d (unrooted), each holding a string.
    let (a, b, c, d) = (h.new_table(0, 0), h.new_table(0, 0), h.new_table(0, 0), h.new_table(0, 0));
    let ka = h.str_value(b"live-key");
    let kc = h.str_value(b"dead-key");
    let vdead = h.str_value(b"dead-value");
    t(a).set(ka, TValue::table(b)).unwrap();
    t(b).set(ka, TValue::table(a)).unwrap();
    t(c).set(kc, TValue::table(d)).unwrap();
    t(d).set(kc, TValue::table(c)).unwrap();
    t(d).set_int(1, vdead);
    // b's metatable is reachable only through b.
    let mt = h.new_table(0, 0);
    t(b).set_meta(mt);
    assert_eq!(h.object_count(), 5);
    h.collect(&mut |m| m.mark_value(TValue::table(a)));
    assert_eq!(h.object_count(), 3, "a, b and b's metatable survive");
    assert!(h.is_interned(b"live-key"));
    assert!(!h.is_interned(b"dead-key"));
    assert!(!h.is_interned(b"dead-value"));
    assert_eq!(t(t(a).get(ka).as_table_ptr().unwrap()).get(ka), TValue::table(a));
    assert_eq!(t(b).meta, mt);
    // A new "dead-key" is a fresh string; the old pointer is gone from the intern table.
    let again = h.intern(b"dead-key");
    assert_eq!(h.intern(b"dead-key"), again);
    h.collect(&mut |_| {});
    assert_eq!(h.object_count(), 0);
    assert_eq!(h.string_count(), 1, "only the heap's pinned \"__mode\"");
}

#[test]
fn deep_chain_collects_without_stack_overflow() {
    let mut h = Heap::new();
    let root = h.new_table(0, 0);
    let mut cur = root;
    for _ in 0..1_000_000 {
        let next = h.new_table(0, 0);
        t(cur).set_int(1, TValue::table(next));
        cur = next;
    }
    assert_eq!(h.object_count(), 1_000_001);
    h.collect(&mut |m| m.mark_obj(root));
    assert_eq!(h.object_count(), 1_000_001, "the whole chain is reachable");
    // Cut the chain in the middle: the tail goes.
    let mut p = root;
    for _ in 0..500_000 {
        p = t(p).get_int(1).as_table_ptr().unwrap();
    }
    t(p).set_int(1, TValue::nil());
    h.collect(&mut |m| m.mark_obj(root));
    assert_eq!(h.object_count(), 500_001);
    h.collect(&mut |_| {});
    assert_eq!(h.object_count(), 0);
}

/// A stand-in for the VM's thread: a stack of values.
struct Stack(Vec<TValue>);
impl Trace for Stack {
    fn trace(&self, m: &mut Marker) {
        for &v in &self.0 {
            m.mark_value(v);
        }
    }
}

#[test]
fn thread_payload_is_traced() {
    let mut h = Heap::new();
    let s = h.str_value(b"on-the-stack");
    let tb = h.new_table(0, 0);
    let th = h.new_opaque(
        K_THREAD,
        Box::new(Stack(vec![s, TValue::table(tb), TValue::int(3)])),
        Some(trace_fn::<Stack>()),
    );
    h.new_table(0, 0); // garbage
    h.collect(&mut |m| m.mark_value(TValue::thread(th)));
    assert_eq!(h.object_count(), 2);
    assert!(h.is_interned(b"on-the-stack"));
    // SAFETY: the thread is alive (rooted above).
    let payload: &dyn Any = unsafe { &*(*th).payload };
    assert_eq!(payload.downcast_ref::<Stack>().unwrap().0.len(), 3);
}

#[test]
fn accounting_tracks_growth_and_release() {
    let mut h = Heap::new();
    let before = h.allocated();
    let tb = h.new_table(0, 0);
    for i in 0..10_000 {
        let k = h.str_value(format!("key{i}").as_bytes());
        t(tb).set(k, TValue::int(i)).unwrap();
    }
    let grown = h.allocated();
    assert!(grown - before > 10_000 * 32, "strings and hash nodes are counted: {grown}");
    h.collect(&mut |m| m.mark_obj(tb));
    let live = h.allocated();
    assert!(live > 10_000 * 32);
    assert_eq!(h.threshold(), (live / 4 * 7).max(tracery_lua::gc::MIN_THRESHOLD));
    h.collect(&mut |_| {});
    assert!(h.allocated() < before + 64);
}

#[test]
fn length_follows_lua_for_sequences() {
    let mut h = Heap::new();
    let tb = t(h.new_table(0, 0));
    for i in 1..=100 {
        tb.set_int(i, TValue::int(i));
    }
    assert_eq!(tb.length(), 100);
    // t[#t] = nil repeatedly, as table.remove does.
    for expect in (90..100).rev() {
        let n = tb.length() as i64;
        tb.set_int(n, TValue::nil());
        assert_eq!(tb.length(), expect as u64);
    }
    // Appending after the removals reuses the array slots.
    tb.set_int(91, TValue::int(91));
    assert_eq!(tb.length(), 91);
    assert_eq!(tb.get(TValue::float(91.0)), TValue::int(91));
}

#[test]
fn next_survives_clearing_every_field() {
    let mut h = Heap::new();
    let tb = h.new_table(0, 0);
    let mut keys = Vec::new();
    for i in 0..500 {
        keys.push(h.str_value(format!("f{i}").as_bytes()));
    }
    for (i, &k) in keys.iter().enumerate() {
        t(tb).set(k, TValue::int(i as i64)).unwrap();
        t(tb).set(TValue::float(i as f64 + 0.5), TValue::boolean(true)).unwrap();
    }
    for i in 1..=50 {
        t(tb).set_int(i, TValue::int(i));
    }
    let mut count = 0;
    let mut k = TValue::nil();
    while let Some((nk, _)) = t(tb).next(k).unwrap() {
        count += 1;
        // Clearing the current field during traversal is allowed (Lua's rule).
        t(tb).set(nk, TValue::nil()).unwrap();
        k = nk;
    }
    assert_eq!(count, 500 + 500 + 50);
    assert_eq!(t(tb).next(TValue::nil()), Ok(None));
    assert_eq!(t(tb).length(), 0);
    // The dead keys are still valid `next` arguments until a rehash.
    assert_eq!(t(tb).next(keys[3]), Ok(None));
}

#[test]
fn nan_and_nil_keys_are_rejected() {
    let mut h = Heap::new();
    let tb = t(h.new_table(0, 0));
    assert!(tb.set(TValue::nil(), TValue::int(1)).is_err());
    assert!(tb.set(TValue::float(f64::NAN), TValue::int(1)).is_err());
    assert!(tb.set(TValue::float(2.0), TValue::int(2)).is_ok());
    assert_eq!(tb.get_int(2), TValue::int(2));
    assert_eq!(tb.next(TValue::float(f64::NAN)), Err(()));
}
