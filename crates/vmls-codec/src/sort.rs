//! One small sort for the whole workspace.
//!
//! The library sorts to find duplicates and to merge sorted tables: capability lists, unmerged
//! leaves, leaf keys of a tree being validated, CBST siblings. `slice::sort_unstable` is a
//! pattern-defeating quicksort of about 2 to 4 KiB of code per element type; with eight element
//! types it was 15 KiB of a 240 KiB firmware image. This heapsort is O(n log n) on any input
//! (hostile lists included), allocation-free, and about 200 bytes per type. The lists are small
//! (at most the tree's nodes, once per join), so the speed difference does not show.

/// Sorts `v` in place by `less`, unstable, O(n log n) worst case, no allocation.
pub fn sort_unstable_by<T, F: FnMut(&T, &T) -> bool>(v: &mut [T], mut less: F) {
    let n = v.len();
    // Build a max-heap, then move the maximum to the end repeatedly.
    for start in (0..n / 2).rev() {
        sift_down(v, start, n, &mut less);
    }
    for end in (1..n).rev() {
        v.swap(0, end);
        sift_down(v, 0, end, &mut less);
    }
}

/// Sorts `v` in place in ascending order (see [`sort_unstable_by`]).
pub fn sort_unstable<T: Ord>(v: &mut [T]) {
    sort_unstable_by(v, |a, b| a < b);
}

/// Sorts `v` in place by the key `f` returns (see [`sort_unstable_by`]).
pub fn sort_unstable_by_key<T, K: Ord, F: FnMut(&T) -> K>(v: &mut [T], mut f: F) {
    sort_unstable_by(v, |a, b| f(a) < f(b));
}

fn sift_down<T, F: FnMut(&T, &T) -> bool>(v: &mut [T], mut root: usize, end: usize, less: &mut F) {
    loop {
        let mut child = 2 * root + 1;
        if child >= end {
            return;
        }
        let (Some(c), Some(c1)) = (v.get(child), v.get(child + 1)) else {
            // Only the left child exists.
            if let (Some(r), Some(c)) = (v.get(root), v.get(child))
                && less(r, c)
            {
                v.swap(root, child);
            }
            return;
        };
        if child + 1 < end && less(c, c1) {
            child += 1;
        }
        match (v.get(root), v.get(child)) {
            (Some(r), Some(c)) if less(r, c) => {
                v.swap(root, child);
                root = child;
            }
            _ => return,
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate alloc;
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn sorts_like_the_standard_library() {
        let mut x: u32 = 12345;
        for n in [0usize, 1, 2, 3, 4, 5, 7, 8, 16, 31, 100, 1000] {
            let mut v: Vec<u32> = (0..n)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    x % 50
                })
                .collect();
            let mut expected = v.clone();
            expected.sort_unstable();
            sort_unstable(&mut v);
            assert_eq!(v, expected, "n = {n}");
            let mut desc = expected.clone();
            sort_unstable_by_key(&mut desc, |&a| core::cmp::Reverse(a));
            expected.reverse();
            assert_eq!(desc, expected);
        }
    }
}
