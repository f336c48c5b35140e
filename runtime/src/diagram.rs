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

    /// The lanes from `from` on (`from <= len()`).
    #[inline]
    pub fn from(&mut self, from: usize) -> StepLanes<'_> {
        StepLanes {
            states: &mut self.states[from..],
            taken: &mut self.taken[from..],
            classes: &mut self.classes[from..],
            active: self.active.map(|a| &a[from..]),
            out: self.out.as_deref_mut().map(|o| &mut o[from..]),
        }
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
    /// reward class (128 bytes each).
    fields: [Bytes256; 2],
}

impl Diagram {
    /// The diagram of a packed table (`table[state << atoms | label]`,
    /// fields as in `eval::Packed`), or `None` when it does not fit.
    pub(crate) fn new(table: &[u32], states: usize, atoms: u32, state_bits: u32, class_bits: u32) -> Option<Diagram> {
        if atoms > 8 || states == 0 || states > MAX_WIDTH || table.len() != states << atoms {
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
        Some(Diagram { levels, finals, fields })
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
    /// no edge and have class 0). Returns how many lanes it did (a multiple
    /// of 64); the caller steps the rest.
    ///
    /// # Safety
    /// [`Diagram::available`]; every state is below the diagram's state
    /// count and every label below `1 << atoms`.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vbmi")]
    pub(crate) unsafe fn step_avx512(&self, labels: &[u8], masks: &[u8; 8], lanes: StepLanes<'_>) -> usize {
        use std::arch::x86_64::*;
        let n = lanes.len().min(labels.len());
        let StepLanes { states, taken, classes, active, mut out } = lanes;
        // A macro, not a closure: the intrinsics must inline into this
        // function's target features. `$k < 4`: inside the 256 bytes.
        macro_rules! row {
            ($bytes:expr, $k:expr) => {
                _mm512_load_si512($bytes.0.as_ptr().add(64 * $k).cast())
            };
        }
        // SAFETY: `Bytes256` is 64-byte aligned.
        let (next0, next1, edge0, edge1, class0, class1) = unsafe {
            let fields = &self.fields;
            (
                row!(fields[0], 0),
                row!(fields[0], 1),
                row!(fields[0], 2),
                row!(fields[0], 3),
                row!(fields[1], 0),
                row!(fields[1], 1),
            )
        };
        let sixty_four = _mm512_set1_epi8(64);
        let one = _mm512_set1_epi32(1);
        let mut l = 0;
        while l + 64 <= n {
            // SAFETY: `l + 64 <= n` keeps every load and store inside the
            // slices; states below 128 and nodes below each level's width
            // index the tables (bytes past a width are unused zeros).
            unsafe {
                macro_rules! state_words {
                    ($k:literal) => {
                        _mm512_loadu_si512(states.as_ptr().add(l + 16 * $k).cast())
                    };
                }
                let start = _mm512_castsi128_si512(_mm512_cvtepi32_epi8(state_words!(0)));
                let start = _mm512_inserti32x4::<1>(start, _mm512_cvtepi32_epi8(state_words!(1)));
                let start = _mm512_inserti32x4::<2>(start, _mm512_cvtepi32_epi8(state_words!(2)));
                let start = _mm512_inserti32x4::<3>(start, _mm512_cvtepi32_epi8(state_words!(3)));
                let label = _mm512_loadu_si512(labels.as_ptr().add(l).cast());
                let mut node = start;
                for level in &self.levels {
                    let bit = _mm512_test_epi8_mask(label, _mm512_set1_epi8(masks[usize::from(level.atom) & 7] as i8));
                    if level.narrow {
                        let index = _mm512_mask_add_epi8(node, bit, node, sixty_four);
                        node = _mm512_permutex2var_epi8(row!(level.table, 0), index, row!(level.table, 1));
                    } else {
                        let low = _mm512_permutex2var_epi8(row!(level.table, 0), node, row!(level.table, 1));
                        let high = _mm512_permutex2var_epi8(row!(level.table, 2), node, row!(level.table, 3));
                        node = _mm512_mask_blend_epi8(bit, low, high);
                    }
                }
                let mut next = _mm512_permutex2var_epi8(next0, node, next1);
                let mut edge = _mm512_permutex2var_epi8(edge0, node, edge1);
                let mut class = _mm512_permutex2var_epi8(class0, node, class1);
                if let Some(active) = active {
                    let flags = _mm512_loadu_si512(active.as_ptr().add(l).cast());
                    let on = _mm512_test_epi8_mask(flags, flags);
                    next = _mm512_mask_blend_epi8(on, start, next);
                    edge = _mm512_maskz_mov_epi8(on, edge);
                    class = _mm512_maskz_mov_epi8(on, class);
                }
                macro_rules! widen {
                    ($bytes:expr, $k:literal) => {
                        _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32::<$k>($bytes))
                    };
                }
                macro_rules! store {
                    ($k:literal) => {{
                        let at = l + 16 * $k;
                        let s = widen!(next, $k);
                        _mm512_storeu_si512(states.as_mut_ptr().add(at).cast(), s);
                        if let Some(out) = out.as_deref_mut() {
                            _mm512_storeu_si512(out.as_mut_ptr().add(at).cast(), s);
                        }
                        let e = _mm512_sub_epi32(widen!(edge, $k), one);
                        _mm512_storeu_si512(taken.as_mut_ptr().add(at).cast(), e);
                    }};
                }
                store!(0);
                store!(1);
                store!(2);
                store!(3);
                _mm512_storeu_si512(classes.as_mut_ptr().add(l).cast(), class);
            }
            l += 64;
        }
        l
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
            let Some(diagram) = Diagram::new(&table, states, atoms, 6, 2) else { continue };
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
    fn the_vector_walk_matches_the_table() {
        if !Diagram::available() {
            eprintln!("skipped: this CPU has no AVX-512 VBMI");
            return;
        }
        let mut rng = Lcg(11);
        for (table, states, atoms) in tables(3) {
            let Some(diagram) = Diagram::new(&table, states, atoms, 6, 2) else { continue };
            let n = 64 * 5;
            let labels: Vec<u8> = (0..n).map(|_| (rng.next() & ((1 << atoms) - 1)) as u8).collect();
            let mut lane_states: Vec<u32> = (0..n).map(|_| rng.next() % states as u32).collect();
            let active: Vec<bool> = (0..n).map(|_| !rng.next().is_multiple_of(5)).collect();
            let before = lane_states.clone();
            let (mut taken, mut classes, mut out) = (vec![9; n], vec![9u8; n], vec![9; n]);
            // SAFETY: checked above; states and labels are in range.
            let done = unsafe {
                let lanes = StepLanes {
                    states: &mut lane_states,
                    taken: &mut taken,
                    classes: &mut classes,
                    active: Some(&active),
                    out: Some(&mut out),
                };
                diagram.step_avx512(&labels, &[1, 2, 4, 8, 16, 32, 64, 128], lanes)
            };
            assert_eq!(done, n);
            for l in 0..n {
                let p = if active[l] { table[(before[l] << atoms | u32::from(labels[l])) as usize] } else { before[l] };
                assert_eq!(lane_states[l], p & 63, "lane {l}");
                assert_eq!(out[l], p & 63);
                assert_eq!(u32::from(classes[l]), p >> 6 & 3);
                assert_eq!(taken[l], (p >> 8).wrapping_sub(1));
            }
        }
    }
}
