//! Placeholder: filled in by a later issue.
#![no_std]
#![forbid(unsafe_code)]
