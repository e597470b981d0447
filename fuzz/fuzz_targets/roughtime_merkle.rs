//! Fuzz target: the Merkle PATH verifier (RFC 10049 §5.3.1) must never
//! panic on any leaf, index, PATH and ROOT, in every version; and a tree
//! built over fuzzed leaves must verify every one of its own paths.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tempora_roughtime::Version;
use tempora_roughtime::merkle::{Tree, verify_path};

fuzz_target!(|data: &[u8]| {
    if data.len() < 6 {
        return;
    }
    let version = Version::ALL[usize::from(data[0]) % 3];
    let index = u32::from_le_bytes([data[1], data[2], data[3], data[4]]);
    let split = usize::from(data[5]).min(data.len() - 6);
    let (leaf, rest) = data[6..].split_at(split);
    let root_len = version.params().root_len.min(rest.len());
    let (root, path) = rest.split_at(root_len);
    let _ = verify_path(version, leaf, index, path, root);

    // Leaves: the input cut into pieces of up to 7 bytes (at most 64).
    let leaves: Vec<&[u8]> = data.chunks(7).take(64).collect();
    if let Some(tree) = Tree::build(version, leaves.iter().copied()) {
        let root = tree.root();
        for (i, l) in leaves.iter().enumerate() {
            let p = tree.path(i);
            assert_eq!(verify_path(version, l, i as u32, &p, root.as_bytes()), Ok(()));
        }
    }
});
