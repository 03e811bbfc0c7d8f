//! Lua tables: an array part for keys 1..=asize and an open-addressing hash part.
//!
//! Invariant the JIT relies on: every integer key in `1..=asize` lives in `array[k-1]`
//! (possibly nil, a hole), and no such key is in the hash part. The hash part uses linear
//! probing; clearing a field keeps its key with a nil value (a dead key) until the next
//! rehash, so removal never moves entries and `next` keeps working while a traversal clears
//! fields. Rehashing happens only when a new key is inserted into a full hash part.

use crate::gc::{GcHeader, Marker, K_TABLE};
use crate::string::LuaStr;
use crate::value::{normalize_key, KeyError, TValue, T_INT, T_NIL, T_STR};
use std::cell::Cell;
use std::mem::ManuallyDrop;
use std::ptr;

#[derive(Clone, Copy)]
#[repr(C)]
pub(crate) struct Node {
    /// nil = never used. Keys are normalized, so key equality is bit equality.
    key: TValue,
    /// nil with a non-nil key = a dead key.
    val: TValue,
}

const EMPTY: Node = Node { key: TValue::NIL, val: TValue::NIL };

/// The hash part of a table without one, for the fragments' probes (its key is nil, so a
/// probe finds nothing; nothing ever writes it).
static NO_NODES: Node = EMPTY;

pub const NODE_SIZE: usize = std::mem::size_of::<Node>();
pub const NODE_KEY: usize = std::mem::offset_of!(Node, key);
pub const NODE_VAL: usize = std::mem::offset_of!(Node, val);

/// A Lua table. The first fields are a layout contract with the VM (see the `TABLE_*`
/// offsets).
#[repr(C)]
pub struct Table {
    pub hdr: GcHeader,
    /// `acap` initialized slots; keys 1..=asize live in `array[0..asize]`.
    pub array: *mut TValue,
    pub asize: u64,
    pub acap: u64,
    /// The metatable, or null.
    pub meta: *mut Table,
    /// Bumped whenever `meta` changes, so compiled code can guard on it.
    pub version: u64,
    /// The hash part: `hmask + 1` nodes the table owns (a boxed slice taken apart), or
    /// `NO_NODES` when it has none. The fragments probe it through these two fields.
    node: *const Node,
    hmask: u64,
    /// A one-word filter of the hash part's keys: bit `key_hash >> 58` is set for every key
    /// inserted since the last rehash (never cleared before it), so a clear bit proves a
    /// key absent in one test (the SELF fragment's method lookup).
    keybits: u64,
    /// Slots whose key is not nil (live and dead).
    hused: usize,
    /// The heap's byte counter, which outlives every object of the heap.
    acct: *const Cell<usize>,
}

pub const TABLE_ARRAY: usize = std::mem::offset_of!(Table, array);
pub const TABLE_ASIZE: usize = std::mem::offset_of!(Table, asize);
pub const TABLE_ACAP: usize = std::mem::offset_of!(Table, acap);
pub const TABLE_META: usize = std::mem::offset_of!(Table, meta);
pub const TABLE_VERSION: usize = std::mem::offset_of!(Table, version);
pub const TABLE_NODE: usize = std::mem::offset_of!(Table, node);
pub const TABLE_HMASK: usize = std::mem::offset_of!(Table, hmask);
pub const TABLE_KEYBITS: usize = std::mem::offset_of!(Table, keybits);
/// The shift that takes a key's hash to its `keybits` bit.
pub const KEYBITS_SHIFT: u32 = 58;

#[inline]
fn mix(x: u64) -> u64 {
    let x = x.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    x ^ (x >> 29)
}

/// The hash of a normalized key.
#[inline]
fn key_hash(k: TValue) -> u64 {
    if k.tag == T_STR {
        // SAFETY: a string key value points at a live interned string (the crate-wide
        // invariant for object values handed to a table).
        unsafe { (*(k.val as *const LuaStr)).hash }
    } else {
        mix(k.val ^ k.tag.rotate_left(59))
    }
}

fn vec_into_raw(v: Vec<TValue>) -> (*mut TValue, u64) {
    let mut v = ManuallyDrop::new(v);
    debug_assert_eq!(v.len(), v.capacity());
    (v.as_mut_ptr(), v.capacity() as u64)
}

impl Table {
    /// A table whose array part has `narr` nil slots in use (so a constructor can fill
    /// `1..=narr` in place) and room for `nhash` hash entries.
    pub(crate) fn new(narr: usize, nhash: usize, acct: *const Cell<usize>) -> Table {
        let (array, acap) = vec_into_raw(crate::gc::try_filled(narr, TValue::NIL));
        let mut t = Table {
            hdr: GcHeader::new(K_TABLE, ptr::null_mut()),
            array,
            asize: narr as u64,
            acap,
            meta: ptr::null_mut(),
            version: 0,
            node: &NO_NODES,
            hmask: 0,
            keybits: 0,
            hused: 0,
            acct,
        };
        if nhash > 0 {
            t.set_nodes(crate::gc::try_filled(hash_cap_for(nhash), EMPTY));
        }
        t
    }

    /// The hash part.
    #[inline]
    fn nodes(&self) -> &[Node] {
        if ptr::eq(self.node, &NO_NODES) {
            return &[];
        }
        // SAFETY: a non-empty hash part is `hmask + 1` nodes this table owns.
        unsafe { std::slice::from_raw_parts(self.node, self.hmask as usize + 1) }
    }

    #[inline]
    fn nodes_mut(&mut self) -> &mut [Node] {
        if ptr::eq(self.node, &NO_NODES) {
            return &mut [];
        }
        // SAFETY: as in `nodes`; `&mut self` makes it unique.
        unsafe { std::slice::from_raw_parts_mut(self.node as *mut Node, self.hmask as usize + 1) }
    }

    /// Replaces the hash part (its length a power of two, or zero).
    fn set_nodes(&mut self, v: Vec<Node>) {
        self.free_nodes();
        if v.is_empty() {
            (self.node, self.hmask) = (&NO_NODES, 0);
        } else {
            let n = v.len() as u64;
            let b = Box::into_raw(v.into_boxed_slice());
            (self.node, self.hmask) = (b as *const Node, n - 1);
        }
    }

    fn free_nodes(&mut self) {
        if !ptr::eq(self.node, &NO_NODES) {
            let n = self.hmask as usize + 1;
            // SAFETY: `node` came from a boxed slice of `n` nodes (`set_nodes`), freed once:
            // it is repointed right after.
            drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(self.node as *mut Node, n)) });
            (self.node, self.hmask) = (&NO_NODES, 0);
        }
    }

    /// Bytes the heap accounts for this table.
    pub(crate) fn size(&self) -> usize {
        std::mem::size_of::<Table>() + self.acap as usize * 16 + std::mem::size_of_val(self.nodes())
    }

    fn account(&self, old: usize) {
        let new = self.size();
        // SAFETY: `acct` is the heap's boxed counter, which lives until after the heap has
        // freed all its tables.
        let c = unsafe { &*self.acct };
        c.set((c.get() + new).saturating_sub(old));
    }

    /// The array part in use (`1..=asize`).
    pub fn array_part(&self) -> &[TValue] {
        // SAFETY: `array` holds `acap >= asize` initialized values owned by this table.
        unsafe { std::slice::from_raw_parts(self.array, self.asize as usize) }
    }

    fn array_mut(&mut self) -> &mut [TValue] {
        // SAFETY: as in `array_part`, and `&mut self` makes the access exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.array, self.asize as usize) }
    }

    /// Live entries in the hash part.
    pub fn hash_count(&self) -> usize {
        self.nodes().iter().filter(|n| !n.val.is_nil()).count()
    }

    pub fn set_meta(&mut self, mt: *mut Table) {
        if mt != self.meta {
            self.meta = mt;
            self.version += 1;
        }
    }

    fn find(&self, k: TValue) -> Option<usize> {
        if self.nodes().is_empty() {
            return None;
        }
        let mask = self.nodes().len() - 1;
        let mut i = key_hash(k) as usize & mask;
        loop {
            let n = &self.nodes()[i];
            if n.key.tag == T_NIL {
                return None;
            }
            if n.key == k {
                return Some(i);
            }
            i = (i + 1) & mask;
        }
    }

    fn hget(&self, k: TValue) -> TValue {
        match self.find(k) {
            Some(i) => self.nodes()[i].val,
            None => TValue::NIL,
        }
    }

    /// Raw `t[k]`; nil and NaN keys read as absent.
    pub fn get(&self, k: TValue) -> TValue {
        match normalize_key(k) {
            Ok(k) if k.tag == T_INT => self.get_int(k.val as i64),
            Ok(k) => self.hget(k),
            Err(_) => TValue::NIL,
        }
    }

    /// Raw `t[k]` for an integer key.
    #[inline]
    pub fn get_int(&self, k: i64) -> TValue {
        let i = (k as u64).wrapping_sub(1);
        if i < self.asize {
            self.array_part()[i as usize]
        } else {
            self.hget(TValue::int(k))
        }
    }

    /// Raw `t[s]` for an interned string key.
    pub fn get_str(&self, s: &LuaStr) -> TValue {
        self.hget(TValue::string(s as *const LuaStr as *mut LuaStr))
    }

    /// Raw `t[k] = v`.
    pub fn set(&mut self, k: TValue, v: TValue) -> Result<(), KeyError> {
        let k = normalize_key(k)?;
        if k.tag == T_INT {
            self.set_int(k.val as i64, v);
        } else {
            self.hset(k, v);
        }
        Ok(())
    }

    /// Raw `t[s] = v` for an interned string key.
    pub fn set_str(&mut self, s: &LuaStr, v: TValue) {
        self.hset(TValue::string(s as *const LuaStr as *mut LuaStr), v);
    }

    /// Raw `t[k] = v` for an integer key.
    pub fn set_int(&mut self, k: i64, v: TValue) {
        let i = (k as u64).wrapping_sub(1);
        if i < self.asize {
            self.array_mut()[i as usize] = v;
        } else if i == self.asize && !v.is_nil() {
            self.append(v);
        } else {
            self.hset(TValue::int(k), v);
        }
    }

    /// Stores key `asize + 1` in the array part, then pulls the keys that follow it out of
    /// the hash part, keeping the invariant.
    fn append(&mut self, v: TValue) {
        // The key may still be in the hash part (a rehash can stop the array just below
        // it): the array slot replaces it.
        if let Some(i) = self.find(TValue::int(self.asize as i64 + 1)) {
            self.nodes_mut()[i].val = TValue::NIL;
        }
        self.push_array(v);
        self.pull_following();
    }

    /// Moves keys asize+1, asize+2, ... from the hash part to the array part.
    fn pull_following(&mut self) {
        while !self.nodes().is_empty() {
            let k = TValue::int(self.asize as i64 + 1);
            match self.find(k) {
                Some(i) if !self.nodes()[i].val.is_nil() => {
                    let x = self.nodes()[i].val;
                    self.nodes_mut()[i].val = TValue::NIL;
                    self.push_array(x);
                }
                _ => break,
            }
        }
    }

    fn push_array(&mut self, v: TValue) {
        if self.asize == self.acap {
            self.grow_array((self.acap as usize * 2).max(4));
        }
        // SAFETY: asize < acap after growing; the slot is initialized and owned.
        unsafe { *self.array.add(self.asize as usize) = v };
        self.asize += 1;
    }

    fn grow_array(&mut self, cap: usize) {
        let old = self.size();
        // SAFETY: (array, acap, acap) is exactly the Vec this table took apart.
        let mut v = unsafe { Vec::from_raw_parts(self.array, self.acap as usize, self.acap as usize) };
        let grown = v.try_reserve_exact(cap.saturating_sub(v.len())).is_ok();
        v.resize(v.capacity(), TValue::NIL);
        (self.array, self.acap) = vec_into_raw(v);
        if !grown {
            // The table is as it was.
            crate::gc::out_of_memory();
        }
        self.account(old);
    }

    fn hset(&mut self, k: TValue, v: TValue) {
        if let Some(i) = self.find(k) {
            self.nodes_mut()[i].val = v;
            return;
        }
        if v.is_nil() {
            return;
        }
        if (self.hused + 1) * 4 > self.nodes().len() * 3 {
            self.rehash(k);
            // The key may now belong to the array part.
            if k.tag == T_INT {
                self.set_int(k.val as i64, v);
            } else {
                self.insert_new(k, v);
            }
            return;
        }
        self.insert_new(k, v);
    }

    /// Inserts a key known to be absent, reusing the first dead slot on its probe path.
    fn insert_new(&mut self, k: TValue, v: TValue) {
        let mask = self.nodes().len() - 1;
        let h = key_hash(k);
        self.keybits |= 1 << (h >> KEYBITS_SHIFT);
        let mut i = h as usize & mask;
        loop {
            let n = &mut self.nodes_mut()[i];
            if n.key.tag == T_NIL {
                *n = Node { key: k, val: v };
                self.hused += 1;
                return;
            }
            if n.val.is_nil() {
                *n = Node { key: k, val: v };
                return;
            }
            i = (i + 1) & mask;
        }
    }

    /// Resizes both parts for the live keys plus `extra`: the array part grows to the
    /// largest power of two n such that more than n/2 of the keys 1..=n are present (Lua's
    /// rule), and dead keys are dropped.
    fn rehash(&mut self, extra: TValue) {
        let old = self.size();
        // nums[b]: integer keys in (2^(b-1), 2^b].
        let mut nums = [0usize; 65];
        let mut count_int = |k: i64| {
            if k >= 1 {
                nums[64 - (k as u64 - 1).leading_zeros() as usize] += 1;
            }
        };
        for (i, v) in self.array_part().iter().enumerate() {
            if !v.is_nil() {
                count_int(i as i64 + 1);
            }
        }
        let live: Vec<Node> = self.nodes().iter().copied().filter(|n| !n.val.is_nil()).collect();
        for n in &live {
            if n.key.tag == T_INT {
                count_int(n.key.val as i64);
            }
        }
        if extra.tag == T_INT {
            count_int(extra.val as i64);
        }
        let mut total = 0;
        let mut best = 0usize;
        for (b, &c) in nums.iter().enumerate().take(63) {
            total += c;
            let n = 1usize << b;
            if total > n / 2 {
                best = n;
            }
        }
        // Allocated before anything changes, so running out of memory leaves the table as
        // it was.
        let hash_entries = if best as u64 > self.asize {
            live.iter().filter(|n| !(n.key.tag == T_INT && n.key.val.wrapping_sub(1) < best as u64)).count()
        } else {
            live.len()
        };
        let new_nodes = crate::gc::try_filled(hash_cap_for(hash_entries + 1), EMPTY);
        let mut rest = Vec::with_capacity(live.len());
        if best as u64 > self.asize {
            if best > self.acap as usize {
                self.grow_array(best);
            }
            self.asize = best as u64;
            for n in live {
                let i = n.key.val.wrapping_sub(1);
                if n.key.tag == T_INT && i < self.asize {
                    self.array_mut()[i as usize] = n.val;
                } else {
                    rest.push(n);
                }
            }
        } else {
            rest = live;
        }
        debug_assert_eq!(rest.len(), hash_entries);
        self.set_nodes(new_nodes);
        self.hused = 0;
        self.keybits = 0;
        for n in rest {
            self.insert_new(n.key, n.val);
        }
        self.pull_following();
        self.account(old);
    }

    /// A border of the table (`#t`, Lua 5.4): if the array part ends in nil, a binary search
    /// inside it; otherwise continue into the hash part with an unbounded search.
    pub fn length(&self) -> u64 {
        let a = self.array_part();
        let n = a.len();
        if n > 0 && a[n - 1].is_nil() {
            let (mut lo, mut hi) = (0usize, n);
            while hi - lo > 1 {
                let m = (lo + hi) / 2;
                if a[m - 1].is_nil() {
                    hi = m;
                } else {
                    lo = m;
                }
            }
            return lo as u64;
        }
        if self.nodes().is_empty() || self.get_int(n as i64 + 1).is_nil() {
            return n as u64;
        }
        let mut i = n as u64 + 1;
        let mut j = i * 2;
        while !self.get_int(j as i64).is_nil() {
            i = j;
            if j > (i64::MAX as u64) / 2 {
                // Pathological: fall back to a linear search.
                let mut k = 1u64;
                while !self.get_int(k as i64).is_nil() {
                    k += 1;
                }
                return k - 1;
            }
            j *= 2;
        }
        while j - i > 1 {
            let m = (i + j) / 2;
            if self.get_int(m as i64).is_nil() {
                j = m;
            } else {
                i = m;
            }
        }
        i
    }

    /// `next(t, key)`: the entry after `key` (nil = the first), array part first.
    /// `Err(())` if `key` is not a key of the table (the VM words the error).
    #[allow(clippy::result_unit_err)] // the contract with the VM: one failure, no detail
    pub fn next(&self, key: TValue) -> Result<Option<(TValue, TValue)>, ()> {
        let asize = self.asize as usize;
        let start = if key.is_nil() {
            0
        } else {
            let k = normalize_key(key).map_err(|_| ())?;
            let ai = k.val.wrapping_sub(1);
            if k.tag == T_INT && ai < self.asize {
                ai as usize + 1
            } else {
                asize + self.find(k).ok_or(())? + 1
            }
        };
        let a = self.array_part();
        for (i, v) in a.iter().enumerate().skip(start) {
            if !v.is_nil() {
                return Ok(Some((TValue::int(i as i64 + 1), *v)));
            }
        }
        for n in self.nodes().iter().skip(start.saturating_sub(asize)) {
            if !n.val.is_nil() {
                return Ok(Some((n.key, n.val)));
            }
        }
        Ok(None)
    }

    /// Marks what the table references (every reference is strong: no weak tables).
    pub(crate) fn trace(&self, m: &mut Marker) {
        m.mark_obj(self.meta);
        let (wk, wv) = m.mode_of(self.meta);
        let me = self as *const Table as *mut Table;
        // Strings in a weak table are values: kept.
        let strong_or_str = |m: &mut Marker, v: TValue, weak: bool| {
            if !weak || v.tag == T_STR {
                m.mark_value(v);
            }
        };
        match (wk, wv) {
            (false, false) => {}
            (false, true) => m.weak_values.push(me),
            (true, false) => m.ephemerons.push(me),
            (true, true) => m.all_weak.push(me),
        }
        for &v in self.array_part() {
            strong_or_str(m, v, wv);
        }
        for n in self.nodes() {
            if !n.val.is_nil() {
                strong_or_str(m, n.key, wk);
                // An ephemeron's value is marked once its key is reached (`converge`);
                // a key that is not an object is always reached.
                let weak = wv || (wk && n.key.tag > T_STR);
                strong_or_str(m, n.val, weak);
            }
        }
    }

    /// Calls `f` with every live hash entry (for the collector).
    pub(crate) fn for_each_entry(&self, mut f: impl FnMut(TValue, TValue)) {
        for n in self.nodes() {
            if !n.val.is_nil() {
                f(n.key, n.val);
            }
        }
    }

    /// Clears the entries whose key (`keys`) or value (`values`) the collection in progress
    /// did not reach; the key stays as a dead key, never read again but for its bits.
    ///
    /// # Safety
    /// Only during a collection, after marking, before the sweep.
    pub(crate) unsafe fn clear_dead(&mut self, keys: bool, values: bool) {
        // SAFETY: the caller's contract is `alive`'s: a collection's clearing phase.
        let dead = |v: TValue| !unsafe { crate::gc::alive(v) };
        if values {
            for v in self.array_mut() {
                if dead(*v) {
                    *v = TValue::NIL;
                }
            }
        }
        for n in self.nodes_mut() {
            if !n.val.is_nil() && ((keys && dead(n.key)) || (values && dead(n.val))) {
                n.val = TValue::NIL;
            }
        }
    }
}

/// A power-of-two hash capacity holding `n` entries at <= 3/4 load.
fn hash_cap_for(n: usize) -> usize {
    (n * 4 / 3 + 1).next_power_of_two().max(4)
}

impl Drop for Table {
    fn drop(&mut self) {
        // SAFETY: (array, acap, acap) is the Vec this table took apart; dropped once.
        drop(unsafe { Vec::from_raw_parts(self.array, self.acap as usize, self.acap as usize) });
        self.free_nodes();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gc::Heap;

    fn with_table(f: impl FnOnce(&mut Heap, &mut Table)) {
        let mut h = Heap::new();
        let t = h.new_table(0, 0);
        // SAFETY: `t` is live for the whole closure (no collection runs) and unaliased.
        f(&mut h, unsafe { &mut *t });
    }

    #[test]
    fn layout_offsets() {
        assert_eq!(TABLE_ARRAY, 16);
        assert_eq!(TABLE_ASIZE, 24);
        assert_eq!(TABLE_ACAP, 32);
        assert_eq!(TABLE_META, 40);
        assert_eq!(TABLE_VERSION, 48);
    }

    #[test]
    fn append_grows_array_and_migrates() {
        with_table(|_, t| {
            t.set_int(3, TValue::int(30));
            t.set_int(2, TValue::int(20));
            assert_eq!(t.asize, 0);
            t.set_int(1, TValue::int(10));
            assert_eq!(t.asize, 3);
            assert_eq!(t.hash_count(), 0);
            assert_eq!(t.array_part(), &[TValue::int(10), TValue::int(20), TValue::int(30)]);
            assert_eq!(t.length(), 3);
        });
    }

    #[test]
    fn float_keys_normalize() {
        with_table(|_, t| {
            t.set(TValue::float(1.0), TValue::int(1)).unwrap();
            assert_eq!(t.asize, 1);
            assert_eq!(t.get(TValue::int(1)), TValue::int(1));
            t.set(TValue::float(1.5), TValue::int(2)).unwrap();
            assert_eq!(t.get(TValue::float(1.5)), TValue::int(2));
            assert_eq!(t.set(TValue::nil(), TValue::int(1)), Err(KeyError::Nil));
            assert_eq!(t.set(TValue::float(f64::NAN), TValue::int(1)), Err(KeyError::NaN));
            assert!(t.get(TValue::nil()).is_nil());
            assert!(t.get(TValue::float(f64::NAN)).is_nil());
        });
    }

    #[test]
    fn rehash_moves_dense_int_keys_to_array() {
        with_table(|_, t| {
            for k in (1..=64).rev() {
                t.set_int(k, TValue::int(k));
            }
            assert_eq!(t.asize, 64);
            assert_eq!(t.hash_count(), 0);
            for k in 1..=64 {
                assert_eq!(t.get_int(k), TValue::int(k));
            }
            assert_eq!(t.length(), 64);
        });
    }

    #[test]
    fn invariant_holds_under_mixed_inserts() {
        with_table(|_, t| {
            let mut model = std::collections::HashMap::new();
            let mut x: u64 = 12345;
            for _ in 0..5000 {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let k = (x >> 33) as i64 % 300 - 20;
                let v = if x & 7 == 0 { TValue::nil() } else { TValue::int(k) };
                t.set_int(k, v);
                let asize = t.asize as i64;
                for n in t.nodes() {
                    if n.key.tag == T_INT && !n.val.is_nil() {
                        let nk = n.key.val as i64;
                        assert!(!(1..=asize).contains(&nk), "key {nk} in hash with asize {asize}");
                    }
                }
                assert_eq!(t.get_int(k), v);
                if v.is_nil() {
                    model.remove(&k);
                } else {
                    model.insert(k, v);
                }
            }
            // `next` yields every live key exactly once, with its current value.
            let mut seen = std::collections::HashMap::new();
            let mut k = TValue::nil();
            while let Some((nk, nv)) = t.next(k).unwrap() {
                assert!(seen.insert(nk.as_int().unwrap(), nv).is_none(), "key {nk:?} seen twice");
                k = nk;
            }
            assert_eq!(seen, model);
        });
    }

    #[test]
    fn length_borders() {
        with_table(|_, t| {
            assert_eq!(t.length(), 0);
            for k in 1..=10 {
                t.set_int(k, TValue::int(k));
            }
            assert_eq!(t.length(), 10);
            t.set_int(10, TValue::nil());
            assert_eq!(t.length(), 9);
            t.set_int(9, TValue::nil());
            assert_eq!(t.length(), 8);
            t.set_int(9, TValue::int(9));
            assert_eq!(t.length(), 9);
        });
        // A constructor-sized table with holes: {nil, nil, 3} has length 3 in Lua 5.4.
        let mut h = Heap::new();
        let t = h.new_table(3, 0);
        // SAFETY: live, unaliased.
        let t = unsafe { &mut *t };
        assert_eq!(t.length(), 0);
        t.set_int(3, TValue::int(3));
        assert_eq!(t.length(), 3);
    }

    #[test]
    fn length_continues_into_hash() {
        with_table(|_, t| {
            t.set_int(1, TValue::int(1));
            // Force keys into the hash part by inserting them out of order, far apart first.
            t.set_int(100, TValue::int(100));
            for k in 3..=40 {
                t.set_int(k, TValue::int(k));
            }
            t.set_int(2, TValue::int(2));
            assert_eq!(t.length(), 40);
        });
    }

    #[test]
    fn next_visits_everything_once_while_clearing() {
        let mut h = Heap::new();
        let t = h.new_table(0, 0);
        let keys: Vec<TValue> = (0..100).map(|i| h.str_value(format!("k{i}").as_bytes())).collect();
        // SAFETY: live, unaliased, no collection while we use it.
        let t = unsafe { &mut *t };
        for (i, &k) in keys.iter().enumerate() {
            t.set(k, TValue::int(i as i64)).unwrap();
        }
        for i in 1..=10 {
            t.set_int(i, TValue::int(-i));
        }
        let mut seen = 0;
        let mut k = TValue::nil();
        while let Some((nk, v)) = t.next(k).unwrap() {
            assert!(!v.is_nil());
            seen += 1;
            t.set(nk, TValue::nil()).unwrap();
            k = nk;
        }
        assert_eq!(seen, 110);
        assert_eq!(t.next(TValue::nil()), Ok(None));
        assert_eq!(t.next(TValue::int(1000)), Err(()));
        assert_eq!(t.next(TValue::boolean(true)), Err(()));
    }

    #[test]
    fn metatable_bumps_version() {
        let mut h = Heap::new();
        let t = h.new_table(0, 0);
        let mt = h.new_table(0, 0);
        // SAFETY: live, unaliased.
        let t = unsafe { &mut *t };
        assert_eq!(t.version, 0);
        t.set_meta(mt);
        assert_eq!(t.version, 1);
        t.set_meta(mt);
        assert_eq!(t.version, 1);
        t.set_meta(ptr::null_mut());
        assert_eq!(t.version, 2);
    }

    #[test]
    fn key_filter_has_the_bit_of_every_hash_key() {
        with_table(|h, t| {
            let keys: Vec<TValue> = (0..300).map(|i| h.str_value(format!("key{i}").as_bytes())).collect();
            for (i, &k) in keys.iter().enumerate() {
                t.set(k, TValue::int(i as i64)).unwrap();
                for &seen in &keys[..=i] {
                    let bit = key_hash(seen) >> KEYBITS_SHIFT;
                    assert_ne!(t.keybits & (1 << bit), 0, "a present key's bit is set");
                }
            }
            // Rehashing recomputes the filter from the live keys.
            for &k in &keys {
                t.set(k, TValue::NIL).unwrap();
            }
            let only = h.str_value(b"only");
            t.rehash(only);
            t.set(only, TValue::int(1)).unwrap();
            assert_eq!(t.keybits, 1 << (key_hash(only) >> KEYBITS_SHIFT));
        });
    }

    #[test]
    fn string_keys() {
        let mut h = Heap::new();
        let t = h.new_table(0, 0);
        let a = h.intern(b"alpha");
        let b = h.intern(b"beta");
        // SAFETY: live, unaliased objects of `h`.
        let (t, a, b) = unsafe { (&mut *t, &*a, &*b) };
        t.set_str(a, TValue::int(1));
        assert_eq!(t.get_str(a), TValue::int(1));
        assert!(t.get_str(b).is_nil());
        t.set_str(a, TValue::nil());
        assert!(t.get_str(a).is_nil());
        assert_eq!(t.hash_count(), 0);
    }
}
