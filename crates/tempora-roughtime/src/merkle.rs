//! The Merkle tree over a batch of requests (RFC 10049 §5.3) and the
//! verifier of a PATH (RFC 10049 §5.3.1).
//!
//! Leaves are H(0x00 || leaf data), interior nodes H(0x01 || left ||
//! right), with the leaf data, node width and root width of the version
//! ([`crate::version::Params`]). A level of odd width is completed with an
//! all-zero node (the RFC leaves the shape to the server; this is
//! roughenough's choice), so every leaf's path has the tree's height.

use alloc::vec::Vec;
use core::fmt;

use crate::hash::Hash;
use crate::version::{Params, Version};

/// At most this many PATH entries (RFC 10049 §5.2.4).
pub const MAX_DEPTH: usize = 32;

/// Why a PATH does not lead to ROOT (RFC 10049 §5.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MerkleError {
    /// PATH is not a whole number of node widths.
    PathLength(usize),
    /// PATH has more than 32 entries.
    TooDeep(usize),
    /// INDX has bits left after the last PATH entry.
    IndexTooLarge(u32),
    /// The computed root differs from ROOT.
    RootMismatch,
}

impl fmt::Display for MerkleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MerkleError::PathLength(n) => write!(f, "PATH length {n} is not whole nodes"),
            MerkleError::TooDeep(n) => write!(f, "PATH has {n} entries, more than 32"),
            MerkleError::IndexTooLarge(i) => write!(f, "INDX {i} exceeds the PATH"),
            MerkleError::RootMismatch => f.write_str("PATH does not lead to ROOT"),
        }
    }
}

impl core::error::Error for MerkleError {}

fn leaf_hash(p: &Params, data: &[u8]) -> Hash {
    Hash::of(p.node_len, &[&[p.leaf_tweak], data])
}

fn node_hash(p: &Params, node_len: usize, left: &Hash, right: &Hash) -> Hash {
    Hash::of(
        node_len,
        &[&[p.node_tweak], left.as_bytes(), right.as_bytes()],
    )
}

/// A tree built over one batch.
#[derive(Debug, Clone)]
pub struct Tree {
    version: Version,
    /// The number of leaves (requests).
    count: usize,
    /// levels[0] are the leaves; each level even-width except the top.
    levels: Vec<Vec<Hash>>,
}

impl Tree {
    /// The tree over `leaves` (each the leaf data of the version: a nonce
    /// or a request packet); `None` for no leaves.
    pub fn build<'l>(version: Version, leaves: impl IntoIterator<Item = &'l [u8]>) -> Option<Tree> {
        let p = version.params();
        let first: Vec<Hash> = leaves.into_iter().map(|l| leaf_hash(p, l)).collect();
        if first.is_empty() {
            return None;
        }
        let count = first.len();
        let mut levels = alloc::vec![first];
        while let Some(level) = levels.last_mut().filter(|l| l.len() > 1) {
            if level.len() % 2 == 1 {
                level.push(Hash::zero(p.node_len));
            }
            let next = level
                .chunks_exact(2)
                .map(|pair| node_hash(p, p.node_len, &pair[0], &pair[1]))
                .collect();
            levels.push(next);
        }
        Some(Tree {
            version,
            count,
            levels,
        })
    }

    /// The number of leaves (requests).
    pub fn leaves(&self) -> usize {
        self.count
    }

    /// The tree's height: the PATH entries of every leaf.
    pub fn depth(&self) -> usize {
        self.levels.len() - 1
    }

    /// The ROOT value (RFC 10049 §5.2.5).
    pub fn root(&self) -> Hash {
        let top = self.levels.last().and_then(|l| l.first()).copied();
        let len = self.version.params().root_len;
        top.unwrap_or_else(|| Hash::zero(len)).truncated(len)
    }

    /// The PATH of leaf `index`: the siblings from the leaf up
    /// (RFC 10049 §5.3); empty for an index out of range.
    pub fn path(&self, index: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = index;
        for level in &self.levels[..self.depth()] {
            match level.get(i ^ 1) {
                Some(sibling) => out.extend_from_slice(sibling.as_bytes()),
                None => return Vec::new(),
            }
            i /= 2;
        }
        out
    }
}

/// Checks that `path` and `index` lead from `leaf` (a nonce or request
/// packet, per the version) to `root` (RFC 10049 §5.3.1). Tries the
/// version's node width, then its alternative, if any.
pub fn verify_path(
    version: Version,
    leaf: &[u8],
    index: u32,
    path: &[u8],
    root: &[u8],
) -> Result<(), MerkleError> {
    let p = version.params();
    let first = verify_with_width(p, p.node_len, leaf, index, path, root);
    match (first, p.alt_node_len) {
        (Err(_), Some(alt)) => verify_with_width(p, alt, leaf, index, path, root).or(first),
        _ => first,
    }
}

fn verify_with_width(
    p: &Params,
    width: usize,
    leaf: &[u8],
    index: u32,
    path: &[u8],
    root: &[u8],
) -> Result<(), MerkleError> {
    if path.len() % width != 0 {
        return Err(MerkleError::PathLength(path.len()));
    }
    let depth = path.len() / width;
    if depth > MAX_DEPTH {
        return Err(MerkleError::TooDeep(depth));
    }
    if depth < 32 && index >> depth != 0 {
        return Err(MerkleError::IndexTooLarge(index));
    }
    let mut h = Hash::of(width, &[&[p.leaf_tweak], leaf]);
    let mut bits = index;
    for node in path.chunks_exact(width) {
        let node = Hash::from_slice(node);
        h = match bits & 1 {
            0 => node_hash(p, width, &h, &node),
            _ => node_hash(p, width, &node, &h),
        };
        bits >>= 1;
    }
    if h.truncated(p.root_len).as_bytes() == root {
        Ok(())
    } else {
        Err(MerkleError::RootMismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn leaves(n: usize) -> Vec<Vec<u8>> {
        (0..n).map(|i| vec![i as u8; 40]).collect()
    }

    #[test]
    fn every_leaf_verifies_in_every_version() {
        for v in Version::ALL {
            for n in [1usize, 2, 3, 4, 5, 7, 8, 9, 20] {
                let ls = leaves(n);
                let t = Tree::build(v, ls.iter().map(|l| &l[..])).unwrap();
                assert_eq!(t.leaves(), n);
                let root = t.root();
                assert_eq!(root.as_bytes().len(), v.params().root_len);
                for (i, l) in ls.iter().enumerate() {
                    let path = t.path(i);
                    assert_eq!(path.len(), t.depth() * v.params().node_len);
                    assert_eq!(
                        verify_path(v, l, i as u32, &path, root.as_bytes()),
                        Ok(()),
                        "{v} n={n} i={i}"
                    );
                    // Another leaf's data, or index, fails.
                    let other = (i + 1) % n;
                    if other != i {
                        assert!(verify_path(v, l, other as u32, &path, root.as_bytes()).is_err());
                        assert!(
                            verify_path(v, &ls[other], i as u32, &path, root.as_bytes()).is_err()
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn single_leaf_root_is_the_leaf_hash() {
        // RFC 10049 §5.2.4: one request, empty PATH.
        let t = Tree::build(Version::Rfc, [&b"req"[..]]).unwrap();
        assert_eq!(t.depth(), 0);
        assert!(t.path(0).is_empty());
        let expect = Hash::of(32, &[&[0], b"req"]);
        assert_eq!(t.root(), expect);
        assert_eq!(
            verify_path(Version::Rfc, b"req", 0, &[], expect.as_bytes()),
            Ok(())
        );
        assert_eq!(
            verify_path(Version::Rfc, b"req", 1, &[], expect.as_bytes()),
            Err(MerkleError::IndexTooLarge(1))
        );
    }

    #[test]
    fn two_leaf_rfc_root_by_hand() {
        let (a, b) = (&b"a"[..], &b"b"[..]);
        let t = Tree::build(Version::Rfc, [a, b]).unwrap();
        let la = Hash::of(32, &[&[0], a]);
        let lb = Hash::of(32, &[&[0], b]);
        let root = Hash::of(32, &[&[1], la.as_bytes(), lb.as_bytes()]);
        assert_eq!(t.root(), root);
        assert_eq!(t.path(0), lb.as_bytes());
        assert_eq!(t.path(1), la.as_bytes());
    }

    #[test]
    fn draft14_keeps_64_byte_nodes_and_accepts_32() {
        let ls = leaves(3);
        let t = Tree::build(Version::Draft14, ls.iter().map(|l| &l[..])).unwrap();
        assert_eq!(t.path(0).len(), 2 * 64);
        // A draft-14 server following the draft's text (32-byte nodes):
        let rfc = Tree::build(Version::Rfc, ls.iter().map(|l| &l[..])).unwrap();
        let path = rfc.path(2);
        assert_eq!(
            verify_path(Version::Draft14, &ls[2], 2, &path, rfc.root().as_bytes()),
            Ok(())
        );
    }

    #[test]
    fn malformed_paths() {
        assert_eq!(
            verify_path(Version::Rfc, b"x", 0, &[0; 31], &[0; 32]),
            Err(MerkleError::PathLength(31))
        );
        assert_eq!(
            verify_path(Version::Rfc, b"x", 0, &[0; 33 * 32], &[0; 32]),
            Err(MerkleError::TooDeep(33))
        );
        assert_eq!(
            verify_path(Version::Rfc, b"x", 4, &[0; 64], &[0; 32]),
            Err(MerkleError::IndexTooLarge(4))
        );
        assert_eq!(
            verify_path(Version::Rfc, b"x", u32::MAX, &[0; 32 * 32], &[0; 32]),
            Err(MerkleError::RootMismatch)
        );
        assert!(Tree::build(Version::Rfc, core::iter::empty()).is_none());
    }
}
