//! Automaton steps as byte-permute decision diagrams (AVX-512 VBMI).
//!
//! Part of the fast paths (see [`crate::isa`]): where a dense automaton's
//! packed table (one `u32` per `state << atoms | label`) would be read with
//! a gather, which costs about 1.4 cycles per lane on the machines we
//! measure whatever the table's size, this module walks a decision diagram
//! in registers instead. Level 0's nodes are the states; each level tests
//! one atom and maps `(node, bit)` to a node of the next level with one or
//! two `vpermi2b` (128-byte tables, 64 lanes per instruction); the last
//! level's nodes are the table's distinct entries, whose fields (next
//! state, edge plus one, reward class) come from three more permutes.
//!
//! The diagram is built once, at load, from the packed table itself, and is
//! exact: for every state and label it yields the same entry as the table
//! ([`Diagram::walk`] is its scalar transcription, checked against the
//! table in this module's tests; the vector walk is checked against the
//! reference evaluator in `tests/fast_paths.rs`). It exists only when it
//! fits: at most 8 atoms, 128 states, 128 nodes on every level and 255
//! edges; otherwise the gather stays.

use std::collections::HashMap;

/// One chunk of an automaton's step columns, as every step function
/// (`eval::step_packed`, its AVX-512 loop, [`Diagram::step_avx512`])
/// takes them: the states (read, then replaced by the next ones), the
/// edges taken, the reward classes, which lanes step (`None`: all), and
/// the step instruction's state column when something reads it.
pub(crate) struct StepLanes<'a> {
    pub states: &'a mut [u32],
    pub taken: &'a mut [u32],
    pub classes: &'a mut [u8],
    pub active: Option<&'a [bool]>,
    pub out: Option<&'a mut [u32]>,
}

impl StepLanes<'_> {
    /// Lanes every column has.
    #[inline]
    pub fn len(&self) -> usize {
        let n = self.states.len().min(self.taken.len()).min(self.classes.len());
        let n = self.active.map_or(n, |a| n.min(a.len()));
        self.out.as_ref().map_or(n, |o| n.min(o.len()))
    }
}

/// Most nodes a level may have: each bit value's table of next nodes is
/// two 64-byte registers, the 128 entries one `vpermi2b` indexes.
const MAX_WIDTH: usize = 128;

/// A level's node table, aligned for full-width loads.
#[repr(align(64))]
#[derive(Clone)]
struct Bytes256([u8; 256]);

#[derive(Clone)]
struct Level {
    /// The atom (label bit) this level tests.
    atom: u8,
    /// At most 64 nodes: the next node is `table[node + 64 * bit]`, one
    /// permute. Otherwise `table[128 * bit + node]`, two permutes and a
    /// blend.
    narrow: bool,
    table: Bytes256,
}

/// A dense automaton's transitions as a decision diagram over its atoms.
#[derive(Clone)]
pub(crate) struct Diagram {
    levels: Vec<Level>,
    /// Per node after the last level: the packed table entry it stands for
    /// (for tests and [`Diagram::walk`]).
    #[cfg_attr(not(test), allow(dead_code))]
    finals: Vec<u32>,
    /// Per final node: the next state, the edge taken plus one, and the
    /// reward class (128 bytes each); then per state whether it is
    /// terminal (the last 128 bytes).
    fields: [Bytes256; 2],
    /// Per reward class, its reward's bits with NaN canonical (the fused
    /// reward output, [`Fused::reward`]).
    class_rewards: [u32; 16],
}

/// Outputs a diagram step writes as well, fused into it (the evaluator
/// then skips the instructions and passes that would compute them): each
/// lane's reward, its edge's constant reward (NaN canonical, as outputs
/// are), and whether its new state is terminal. With `skip_edges`, the
/// edges taken and reward classes are not written (nothing reads them).
#[derive(Default)]
pub(crate) struct Fused<'a> {
    pub reward: Option<&'a mut [f32]>,
    pub terminal: Option<&'a mut [bool]>,
    pub skip_edges: bool,
}

impl Diagram {
    /// The diagram of a packed table (`table[state << atoms | label]`,
    /// fields as in `eval::Packed`, `classes` its reward classes' bits),
    /// with `terminal[state]` for the fused `done`; `None` when it does
    /// not fit.
    pub(crate) fn new(
        table: &[u32],
        states: usize,
        atoms: u32,
        (state_bits, class_bits): (u32, u32),
        classes: &[u32],
        terminal: &[u32],
    ) -> Option<Diagram> {
        if atoms > 8
            || states == 0
            || states > MAX_WIDTH
            || table.len() != states << atoms
            || classes.len() > 16
            || terminal.len() != states
        {
            return None;
        }
        let labels = 1usize << atoms;
        // Each node is a residual function: the entries over the untested
        // atoms (`remaining`, index bit i = atom `remaining[i]`).
        let mut nodes: Vec<Vec<u32>> = table.chunks_exact(labels).map(<[u32]>::to_vec).collect();
        let mut remaining: Vec<u8> = (0..atoms as u8).collect();
        let mut levels = Vec::new();
        while !remaining.is_empty() {
            // The atom whose test leaves the fewest distinct nodes.
            let mut best: Option<(usize, Split)> = None;
            for position in 0..remaining.len() {
                let split = split(&nodes, position);
                if best.as_ref().is_none_or(|(_, b)| split.0.len() < b.0.len()) {
                    best = Some((position, split));
                }
            }
            let (position, (next, edges)) = best?;
            if next.len() > MAX_WIDTH {
                return None;
            }
            let narrow = nodes.len() <= 64;
            let mut table = Bytes256([0; 256]);
            for (node, [low, high]) in edges.iter().enumerate() {
                if narrow {
                    table.0[node] = *low;
                    table.0[node + 64] = *high;
                } else {
                    table.0[node] = *low;
                    table.0[128 + node] = *high;
                }
            }
            levels.push(Level { atom: remaining[position], narrow, table });
            remaining.remove(position);
            nodes = next;
        }
        let finals: Vec<u32> = nodes.iter().map(|f| f[0]).collect();
        let edge_shift = state_bits + class_bits;
        let mut fields = [Bytes256([0; 256]), Bytes256([0; 256])];
        for (k, &p) in finals.iter().enumerate() {
            let (next, edge) = (p & ((1 << state_bits) - 1), p >> edge_shift);
            let class = (p >> state_bits) & ((1 << class_bits) - 1);
            if edge > 255 {
                return None;
            }
            fields[0].0[k] = next as u8;
            fields[0].0[128 + k] = edge as u8;
            fields[1].0[k] = class as u8;
        }
        for (q, &t) in terminal.iter().enumerate() {
            fields[1].0[128 + q] = u8::from(t != 0);
        }
        let mut class_rewards = [0u32; 16];
        for (r, &bits) in class_rewards.iter_mut().zip(classes) {
            *r = crate::eval::canonical_nan(bits);
        }
        Some(Diagram { levels, finals, fields, class_rewards })
    }

    /// The packed entry for one state and label, walked in scalar code.
    #[cfg(test)]
    fn walk(&self, state: u32, label: u32) -> u32 {
        let mut node = state as usize;
        for level in &self.levels {
            let bit = (label >> level.atom & 1) as usize;
            node = usize::from(level.table.0[if level.narrow { node + 64 * bit } else { 128 * bit + node }]);
        }
        self.finals[node]
    }

    /// Whether this CPU can run [`Diagram::step_avx512`].
    pub(crate) fn available() -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512bw")
                && std::arch::is_x86_feature_detected!("avx512vbmi")
        }
        #[cfg(not(target_arch = "x86_64"))]
        false
    }

    /// One step over a chunk, 64 lanes at a time, atom k being the bits
    /// `masks[k]` of each lane's label byte: as `eval::step_packed`
    /// (new states to `states` and `out`, the edges taken to `taken`, the
    /// reward classes to `classes`; inactive lanes keep their state, take
    /// no edge and have class 0), and the `fused` outputs. Every lane, the
    /// last block's with masked loads and stores.
    ///
    /// # Safety
    /// [`Diagram::available`]; every state is below the diagram's state
    /// count and every label below `1 << atoms`; the fused outputs have a
    /// lane for each of `lanes`.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vbmi")]
    pub(crate) unsafe fn step_avx512(
        &self,
        labels: &[u8],
        masks: &[u8; 8],
        mut lanes: StepLanes<'_>,
        mut fused: Fused<'_>,
    ) {
        // Four blocks walk the levels together: one block's walk is a chain
        // of dependent permutes (latency-bound), four overlap.
        // SAFETY: as this function's.
        unsafe {
            // Specialised on `skip_edges`: the edge permutes and stores go.
            if fused.skip_edges {
                let done = self.step_blocks::<4, false, true>(labels, masks, &mut lanes, &mut fused, 0);
                let done = self.step_blocks::<1, false, true>(labels, masks, &mut lanes, &mut fused, done);
                self.step_blocks::<1, true, true>(labels, masks, &mut lanes, &mut fused, done);
            } else {
                let done = self.step_blocks::<4, false, false>(labels, masks, &mut lanes, &mut fused, 0);
                let done = self.step_blocks::<1, false, false>(labels, masks, &mut lanes, &mut fused, done);
                self.step_blocks::<1, true, false>(labels, masks, &mut lanes, &mut fused, done);
            }
        }
    }

    /// [`Diagram::step_avx512`] over the lanes from `from` on, `B` blocks
    /// of 64 lanes at a time; returns where it stopped (the lanes left are
    /// fewer than `64 * B`). With `TAIL`, one block of the last (fewer than
    /// 64) lanes, through masked loads and stores. `SKIP_EDGES` is
    /// `fused.skip_edges`.
    ///
    /// # Safety
    /// As [`Diagram::step_avx512`].
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vbmi")]
    #[inline]
    unsafe fn step_blocks<const B: usize, const TAIL: bool, const SKIP_EDGES: bool>(
        &self,
        labels: &[u8],
        masks: &[u8; 8],
        lanes: &mut StepLanes<'_>,
        fused: &mut Fused<'_>,
        from: usize,
    ) -> usize {
        use std::arch::x86_64::*;
        let mut n = lanes.len().min(labels.len());
        n = fused.reward.as_ref().map_or(n, |r| n.min(r.len()));
        n = fused.terminal.as_ref().map_or(n, |t| n.min(t.len()));
        let StepLanes { states, taken, classes, active, out } = lanes;
        // A macro, not a closure: the intrinsics must inline into this
        // function's target features. `$k < 4`: inside the 256 bytes.
        macro_rules! row {
            ($bytes:expr, $k:expr) => {
                _mm512_load_si512($bytes.0.as_ptr().add(64 * $k).cast())
            };
        }
        // SAFETY: `Bytes256` is 64-byte aligned; `class_rewards` holds 16 values.
        let (next0, next1, edge0, edge1, class0, class1, terminal0, terminal1, rewards) = unsafe {
            let fields = &self.fields;
            (
                row!(fields[0], 0),
                row!(fields[0], 1),
                row!(fields[0], 2),
                row!(fields[0], 3),
                row!(fields[1], 0),
                row!(fields[1], 1),
                row!(fields[1], 2),
                row!(fields[1], 3),
                _mm512_loadu_si512(self.class_rewards.as_ptr().cast()),
            )
        };
        let sixty_four = _mm512_set1_epi8(64);
        let one = _mm512_set1_epi32(1);
        // Byte 4j (of a, then b) to byte j, for j < 32, and again for the
        // high half: the states' low bytes.
        let narrow = _mm512_set_epi8(
            124, 120, 116, 112, 108, 104, 100, 96, 92, 88, 84, 80, 76, 72, 68, 64, 60, 56, 52, 48, 44, 40, 36, 32, 28,
            24, 20, 16, 12, 8, 4, 0, 124, 120, 116, 112, 108, 104, 100, 96, 92, 88, 84, 80, 76, 72, 68, 64, 60, 56, 52,
            48, 44, 40, 36, 32, 28, 24, 20, 16, 12, 8, 4, 0,
        );
        // Per quarter k, byte 16k + j to word j (its other bytes zeroed).
        let widen: [__m512i; 4] = std::array::from_fn(|k| {
            let base = 16 * k as i32;
            _mm512_add_epi32(
                _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                _mm512_set1_epi32(base),
            )
        });
        let mut l = from;
        while if TAIL { l < n } else { l + 64 * B <= n } {
            // The lanes of the block: all 64, or the tail's.
            let lane_mask: u64 = if TAIL { u64::MAX >> (64 - (n - l)) } else { u64::MAX };
            let words_mask = |k: usize| (lane_mask >> (16 * k)) as u16;
            // Loads and stores: plain, or masked for the tail (whose lanes
            // past `n` are neither read nor written; their addresses are
            // formed with `wrapping_add`, never dereferenced).
            macro_rules! load_words {
                ($ptr:expr, $k:expr) => {
                    if TAIL {
                        _mm512_maskz_loadu_epi32(words_mask($k), $ptr.wrapping_add(16 * $k).cast())
                    } else {
                        _mm512_loadu_si512($ptr.add(16 * $k).cast())
                    }
                };
            }
            macro_rules! store_words {
                ($ptr:expr, $k:expr, $v:expr) => {
                    if TAIL {
                        _mm512_mask_storeu_epi32($ptr.wrapping_add(16 * $k).cast(), words_mask($k), $v)
                    } else {
                        _mm512_storeu_si512($ptr.add(16 * $k).cast(), $v)
                    }
                };
            }
            macro_rules! load_bytes {
                ($ptr:expr) => {
                    if TAIL { _mm512_maskz_loadu_epi8(lane_mask, $ptr.cast()) } else { _mm512_loadu_si512($ptr.cast()) }
                };
            }
            macro_rules! store_bytes {
                ($ptr:expr, $v:expr) => {
                    if TAIL {
                        _mm512_mask_storeu_epi8($ptr.cast(), lane_mask, $v)
                    } else {
                        _mm512_storeu_si512($ptr.cast(), $v)
                    }
                };
            }
            // SAFETY: `l + 64 * B <= n` (or, for the tail, the lane mask)
            // keeps every access inside the slices, all of at least `n`
            // lanes; states below 128 and nodes below each level's width
            // index the tables (bytes past a width are unused zeros).
            unsafe {
                let mut start = [_mm512_setzero_si512(); B];
                let mut label = [_mm512_setzero_si512(); B];
                for b in 0..B {
                    let at = states.as_ptr().wrapping_add(l + 64 * b);
                    // The low byte of each of 64 words: two permutes of
                    // two registers each, one blend.
                    let low = _mm512_permutex2var_epi8(load_words!(at, 0), narrow, load_words!(at, 1));
                    let high = _mm512_permutex2var_epi8(load_words!(at, 2), narrow, load_words!(at, 3));
                    start[b] = _mm512_mask_blend_epi8(0xffff_ffff_0000_0000, low, high);
                    label[b] = load_bytes!(labels.as_ptr().wrapping_add(l + 64 * b));
                }
                let mut node = start;
                for level in &self.levels {
                    let atom = _mm512_set1_epi8(masks[usize::from(level.atom) & 7] as i8);
                    if level.narrow {
                        let (low, high) = (row!(level.table, 0), row!(level.table, 1));
                        for b in 0..B {
                            let bit = _mm512_test_epi8_mask(label[b], atom);
                            let index = _mm512_mask_add_epi8(node[b], bit, node[b], sixty_four);
                            node[b] = _mm512_permutex2var_epi8(low, index, high);
                        }
                    } else {
                        let rows =
                            [row!(level.table, 0), row!(level.table, 1), row!(level.table, 2), row!(level.table, 3)];
                        for b in 0..B {
                            let bit = _mm512_test_epi8_mask(label[b], atom);
                            let low = _mm512_permutex2var_epi8(rows[0], node[b], rows[1]);
                            let high = _mm512_permutex2var_epi8(rows[2], node[b], rows[3]);
                            node[b] = _mm512_mask_blend_epi8(bit, low, high);
                        }
                    }
                }
                for b in 0..B {
                    let at = l + 64 * b;
                    let mut next = _mm512_permutex2var_epi8(next0, node[b], next1);
                    let (mut edge, mut class) = (_mm512_setzero_si512(), _mm512_setzero_si512());
                    if !SKIP_EDGES {
                        edge = _mm512_permutex2var_epi8(edge0, node[b], edge1);
                    }
                    if !SKIP_EDGES || fused.reward.is_some() {
                        class = _mm512_permutex2var_epi8(class0, node[b], class1);
                    }
                    if let Some(active) = active {
                        let flags = load_bytes!(active.as_ptr().wrapping_add(at));
                        let on = _mm512_test_epi8_mask(flags, flags);
                        next = _mm512_mask_blend_epi8(on, start[b], next);
                        edge = _mm512_maskz_mov_epi8(on, edge);
                        class = _mm512_maskz_mov_epi8(on, class);
                    }
                    // Bytes `16k..16k + 16` as words: one zero-masking permute.
                    macro_rules! widen {
                        ($bytes:expr, $k:literal) => {
                            _mm512_maskz_permutexvar_epi8(0x1111_1111_1111_1111, widen[$k], $bytes)
                        };
                    }
                    macro_rules! store {
                        ($k:literal) => {{
                            let s = widen!(next, $k);
                            store_words!(states.as_mut_ptr().wrapping_add(at), $k, s);
                            if let Some(out) = out.as_deref_mut() {
                                store_words!(out.as_mut_ptr().wrapping_add(at), $k, s);
                            }
                            if !SKIP_EDGES {
                                let e = _mm512_sub_epi32(widen!(edge, $k), one);
                                store_words!(taken.as_mut_ptr().wrapping_add(at), $k, e);
                            }
                            if let Some(reward) = fused.reward.as_deref_mut() {
                                let r = _mm512_permutexvar_epi32(widen!(class, $k), rewards);
                                store_words!(reward.as_mut_ptr().wrapping_add(at), $k, r);
                            }
                        }};
                    }
                    store!(0);
                    store!(1);
                    store!(2);
                    store!(3);
                    if !SKIP_EDGES {
                        store_bytes!(classes.as_mut_ptr().wrapping_add(at), class);
                    }
                    if let Some(terminal) = fused.terminal.as_deref_mut() {
                        // Bytes 0 or 1: valid `bool`s.
                        let flags = _mm512_permutex2var_epi8(terminal0, next, terminal1);
                        store_bytes!(terminal.as_mut_ptr().wrapping_add(at), flags);
                    }
                }
            }
            l += 64 * B;
        }
        l.min(n)
    }
}

/// The distinct children of a level's nodes (in first-seen order), and
/// each node's two children (for bit 0 and bit 1).
type Split = (Vec<Vec<u32>>, Vec<[u8; 2]>);

/// Splits every node on the atom at `position` of the remaining ones.
fn split(nodes: &[Vec<u32>], position: usize) -> Split {
    let mut ids: HashMap<Vec<u32>, usize> = HashMap::new();
    let mut next: Vec<Vec<u32>> = Vec::new();
    let mut edges = Vec::with_capacity(nodes.len());
    for f in nodes {
        let half = f.len() / 2;
        let (low_bits, bit) = ((1usize << position) - 1, 1usize << position);
        let mut pair = [0u8; 2];
        for (b, slot) in pair.iter_mut().enumerate() {
            let child: Vec<u32> = (0..half)
                .map(|k| {
                    let index = (k & low_bits) | (k & !low_bits) << 1 | if b == 1 { bit } else { 0 };
                    f[index]
                })
                .collect();
            let id = *ids.entry(child.clone()).or_insert_with(|| {
                next.push(child);
                next.len() - 1
            });
            // Ids past `MAX_WIDTH` make the caller give up; the byte
            // saturates meanwhile.
            *slot = id.min(255) as u8;
        }
        edges.push(pair);
    }
    (next, edges)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (no test dependency for this).
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> u32 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (self.0 >> 33) as u32
        }
    }

    /// Random packed tables whose entries depend on a few atoms per state
    /// (as guards do), and fully random ones (which mostly do not fit).
    fn tables(seed: u64) -> Vec<(Vec<u32>, usize, u32)> {
        let mut rng = Lcg(seed);
        let mut out = Vec::new();
        for _ in 0..200 {
            let states = 1 + rng.next() as usize % 40;
            let atoms = rng.next() % 9;
            let structured = !rng.next().is_multiple_of(4);
            let table = (0..states << atoms)
                .map(|k| {
                    let (state, label) = ((k >> atoms) as u32, k as u32 & ((1 << atoms) - 1));
                    let key = if structured { state * 7 + (label & (0b101 | (state % 3))) } else { rng.next() };
                    let next = key % states as u32;
                    let class = key / 3 % 4;
                    let edge = key % 200;
                    edge << 8 | class << 6 | next
                })
                .collect();
            out.push((table, states, atoms));
        }
        out
    }

    #[test]
    fn the_diagram_walks_to_the_tables_entry_for_every_state_and_label() {
        let mut built = 0;
        for (table, states, atoms) in tables(7) {
            let terminal = vec![0; states];
            let Some(diagram) = Diagram::new(&table, states, atoms, (6, 2), &[], &terminal) else { continue };
            built += 1;
            for state in 0..states as u32 {
                for label in 0..1u32 << atoms {
                    assert_eq!(diagram.walk(state, label), table[(state << atoms | label) as usize]);
                }
            }
        }
        assert!(built > 100, "only {built} of 200 tables made a diagram");
    }

    #[test]
    fn the_vector_walk_matches_the_table_with_its_fused_outputs() {
        if !Diagram::available() {
            eprintln!("skipped: this CPU has no AVX-512 VBMI");
            return;
        }
        let mut rng = Lcg(11);
        let class_rewards = [0.0f32, 1.5, -2.0, f32::from_bits(0x7fc0_0001)].map(f32::to_bits);
        for (t, (table, states, atoms)) in tables(3).into_iter().enumerate() {
            let terminal: Vec<u32> = (0..states).map(|_| rng.next() % 2).collect();
            let Some(diagram) = Diagram::new(&table, states, atoms, (6, 2), &class_rewards, &terminal) else {
                continue;
            };
            // Whole blocks of four, single blocks and a masked tail.
            let n = 64 * (t % 7) + t % 64;
            let labels: Vec<u8> = (0..n).map(|_| (rng.next() & ((1 << atoms) - 1)) as u8).collect();
            let mut lane_states: Vec<u32> = (0..n).map(|_| rng.next() % states as u32).collect();
            let active: Vec<bool> = (0..n).map(|_| !rng.next().is_multiple_of(5)).collect();
            let before = lane_states.clone();
            let (mut taken, mut classes, mut out) = (vec![9; n + 64], vec![9u8; n + 64], vec![9; n + 64]);
            let (mut reward, mut done) = (vec![9.0f32; n + 64], vec![true; n + 64]);
            // SAFETY: checked above; states and labels are in range.
            unsafe {
                let lanes = StepLanes {
                    states: &mut lane_states,
                    taken: &mut taken,
                    classes: &mut classes,
                    active: (t % 2 == 0).then_some(&active[..]),
                    out: Some(&mut out),
                };
                let fused = Fused { reward: Some(&mut reward), terminal: Some(&mut done), skip_edges: false };
                diagram.step_avx512(&labels, &[1, 2, 4, 8, 16, 32, 64, 128], lanes, fused);
            }
            for l in 0..n {
                let on = t % 2 == 1 || active[l];
                let p = if on { table[(before[l] << atoms | u32::from(labels[l])) as usize] } else { before[l] };
                assert_eq!(lane_states[l], p & 63, "table {t} lane {l}");
                assert_eq!(out[l], p & 63);
                let class = p >> 6 & 3;
                assert_eq!(u32::from(classes[l]), class);
                assert_eq!(taken[l], (p >> 8).wrapping_sub(1));
                let expected = crate::eval::canonical_nan(class_rewards[class as usize]);
                assert_eq!(reward[l].to_bits(), expected, "table {t} lane {l}");
                assert_eq!(done[l], terminal[(p & 63) as usize] != 0);
            }
            // Nothing past the lanes is written.
            assert!(taken[n..].iter().all(|&e| e == 9) && classes[n..].iter().all(|&c| c == 9));
            assert!(out[n..].iter().all(|&o| o == 9) && reward[n..].iter().all(|&r| r == 9.0));
            assert!(done[n..].iter().all(|&d| d));
        }
    }
}
