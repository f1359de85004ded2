//! `cargo run --release -p vmls-cost --example cost -- U D G`
#![allow(missing_docs)]
fn main() {
    let a: Vec<usize> = std::env::args().skip(1).filter_map(|x| x.parse().ok()).collect();
    let p = vmls_cost::Params {
        users: a.first().copied().unwrap_or(4),
        devices: a.get(1).copied().unwrap_or(2),
        groups: a.get(2).copied().unwrap_or(3),
        max_measured_groups: 3,
        warm_trees: std::env::var_os("COLD").is_none(),
    };
    let t = std::time::Instant::now();
    match vmls_cost::run_with_progress(p, &mut |m| eprintln!("{m}")) {
        Ok(r) => println!("{r}\n{:?}", t.elapsed()),
        Err(e) => println!("error: {e}"),
    }
}
