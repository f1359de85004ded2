//! tree-math.json: root, left, right, parent, sibling for every node of trees of n leaves.
use serde_json::Value;
use vmls_tree::math::{self, NodeIndex};

use crate::Outcome;
use crate::util::{array, outcome, uint};

fn expect(list: &[Value], i: usize) -> Option<u32> {
    list.get(i).and_then(Value::as_u64).map(|v| v as u32)
}

pub fn run(case: &Value) -> Outcome {
    outcome((|| {
        let n_leaves = uint(case, "n_leaves")? as u32;
        let n_nodes = uint(case, "n_nodes")? as u32;
        if math::node_width(n_leaves) != n_nodes {
            return Err(format!("node_width({n_leaves}) != {n_nodes}"));
        }
        if math::root(n_leaves).0 as u64 != uint(case, "root")? {
            return Err("root".into());
        }
        let (l, r, p, s) = (
            array(case, "left")?,
            array(case, "right")?,
            array(case, "parent")?,
            array(case, "sibling")?,
        );
        for i in 0..n_nodes {
            let x = NodeIndex(i);
            let k = i as usize;
            let checks = [
                ("left", math::left(x).map(|n| n.0), expect(l, k)),
                ("right", math::right(x).map(|n| n.0), expect(r, k)),
                (
                    "parent",
                    math::parent(x, n_leaves).map(|n| n.0),
                    expect(p, k),
                ),
                (
                    "sibling",
                    math::sibling(x, n_leaves).map(|n| n.0),
                    expect(s, k),
                ),
            ];
            for (what, got, want) in checks {
                if got != want {
                    return Err(format!(
                        "{what}({i}) with {n_leaves} leaves: got {got:?}, want {want:?}"
                    ));
                }
            }
        }
        Ok(())
    })())
}
