//! The `vmls` command's library: the demo's story ([`demo`]) as a function that returns a
//! structured transcript, so a test can check its facts as well as its text. The conformance
//! run is `vmls_vectors`, the cost report `vmls_cost`.
#![forbid(unsafe_code)]

pub mod demo;
