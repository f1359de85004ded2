//! `include/vmls.h` against the Rust definitions: the hand-written header must declare exactly
//! the functions the crate exports, each with the same parameter count and the C types that the
//! Rust parameter types stand for, and its `#define`s must equal the library's constants.
//!
//! The Rust side is read from the crate's own source files (every `extern "C" fn vmls_*`), not
//! from a list kept by hand, so a changed signature fails here. `.ci/ffi.sh` adds the check that
//! the static library's symbols (`nm`) are the header's functions, and compiles the C test
//! against the header with `-Wall -Wextra -Werror`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeMap;
use std::path::Path;

const HEADER: &str = include_str!("../include/vmls.h");

/// A prototype: parameter types (normalized C) and return type.
#[derive(Debug, PartialEq, Eq)]
struct Proto {
    params: Vec<String>,
    ret: String,
}

/// Collapses whitespace and spaces around `*`: `const uint8_t *` -> `const uint8_t*`.
fn norm(t: &str) -> String {
    let joined = t.split_whitespace().collect::<Vec<_>>().join(" ");
    joined.replace(" *", "*").replace("* ", "*")
}

/// Drops the comments of a C header.
fn strip_c_comments(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("/*") {
        out.push_str(&rest[..i]);
        let end = rest[i..].find("*/").expect("unterminated comment");
        rest = &rest[i + end + 2..];
    }
    out.push_str(rest);
    out
}

/// The `vmls_*` function prototypes of the header.
fn header_protos() -> BTreeMap<String, Proto> {
    let text = strip_c_comments(HEADER);
    let mut protos = BTreeMap::new();
    for stmt in text.split(';') {
        // Directives and braces are on lines of their own: drop those lines.
        let stmt = stmt
            .lines()
            .filter(|l| !l.trim_start().starts_with('#') && !l.contains('}') && !l.contains('{'))
            .collect::<Vec<_>>()
            .join(" ");
        let Some(open) = stmt.find('(') else { continue };
        let head = &stmt[..open];
        let Some(name) = head
            .split(|c: char| c.is_whitespace() || c == '*')
            .next_back()
        else {
            continue;
        };
        if !name.starts_with("vmls_") || stmt.contains("typedef") {
            continue;
        }
        let ret = norm(&head[..head.len() - name.len()]);
        let close = stmt.rfind(')').unwrap();
        let inner = stmt[open + 1..close].trim();
        let params = if inner == "void" {
            Vec::new()
        } else {
            inner
                .split(',')
                .map(|p| {
                    // The parameter's name is its last identifier.
                    let p = p.trim();
                    let cut = p
                        .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .map_or(0, |i| i + 1);
                    assert!(cut > 0, "parameter without a name in {name}: {p}");
                    norm(&p[..cut])
                })
                .collect()
        };
        assert!(
            protos
                .insert(name.to_string(), Proto { params, ret })
                .is_none(),
            "{name} declared twice"
        );
    }
    protos
}

/// The C type a Rust parameter or return type of the ABI stands for.
fn c_type(rust: &str) -> String {
    let rust = rust.trim();
    let mapped = match rust {
        "" => "void",
        "c_int" => "int",
        "usize" => "size_t",
        "u32" => "uint32_t",
        "u64" => "uint64_t",
        "*const u8" => "const uint8_t*",
        "*mut u8" => "uint8_t*",
        "*mut usize" => "size_t*",
        "*mut u32" => "uint32_t*",
        "*mut u64" => "uint64_t*",
        "*const c_char" => "const char*",
        "*const VmlsRng" => "const vmls_rng*",
        "*const VmlsKeyPackage" => "const vmls_key_package*",
        "*mut VmlsKeyPackage" => "vmls_key_package*",
        "*mut *mut VmlsKeyPackage" => "vmls_key_package**",
        "*const VmlsGroup" => "const vmls_group*",
        "*mut VmlsGroup" => "vmls_group*",
        "*mut *mut VmlsGroup" => "vmls_group**",
        other => panic!("no C type known for the Rust type `{other}`: extend tests/header.rs"),
    };
    mapped.to_string()
}

/// Every `extern "C" fn vmls_*` in the crate's sources.
fn rust_protos() -> BTreeMap<String, Proto> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut protos = BTreeMap::new();
    let mut files: Vec<_> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut rest = text.as_str();
        while let Some(i) = rest.find("extern \"C\" fn ") {
            let after = &rest[i + "extern \"C\" fn ".len()..];
            let open = after.find('(').unwrap();
            let name = after[..open].trim().to_string();
            if !name.starts_with("vmls_") {
                // A function-pointer type (the RNG callback), not an export.
                rest = after;
                continue;
            }
            let close = after.find(')').unwrap();
            let inner = &after[open + 1..close];
            let brace = after.find('{').unwrap();
            let ret = after[close + 1..brace].trim().trim_start_matches("->");
            let params = inner
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| c_type(p.split_once(':').unwrap().1))
                .collect();
            rest = &after[brace..];
            let proto = Proto {
                params,
                ret: c_type(ret),
            };
            assert!(protos.insert(name.clone(), proto).is_none(), "{name} twice");
        }
    }
    protos
}

#[test]
fn header_declares_exactly_the_exported_functions_with_matching_prototypes() {
    let header = header_protos();
    let rust = rust_protos();
    let h: Vec<_> = header.keys().collect();
    let r: Vec<_> = rust.keys().collect();
    assert_eq!(
        h, r,
        "functions in the header vs. `extern \"C\" fn`s in src/"
    );
    for (name, proto) in &rust {
        assert_eq!(&header[name], proto, "prototype of {name}");
    }
    // The parser found real prototypes (a broken parser must not pass with two empty maps).
    assert!(rust.len() >= 20);
    assert_eq!(header["vmls_group_add"].params.len(), 8);
    assert_eq!(header["vmls_abi_version"].params.len(), 0);
}

/// `#define NAME value` lines whose value is an integer expression of the header.
fn header_defines() -> BTreeMap<String, u64> {
    let mut defs = BTreeMap::new();
    for line in HEADER.lines() {
        let Some(rest) = line.trim().strip_prefix("#define ") else {
            continue;
        };
        let rest = strip_c_comments(rest);
        let mut parts = rest.trim().splitn(2, char::is_whitespace);
        let name = parts.next().unwrap().to_string();
        let Some(value) = parts.next() else { continue };
        let value = value.trim().trim_start_matches('(').trim_end_matches(')');
        let product = value.split('*').map(|f| {
            let f = f.trim().trim_end_matches('u');
            match f.strip_prefix("0x").or_else(|| f.strip_prefix("0X")) {
                Some(hex) => u64::from_str_radix(hex, 16).ok(),
                None => f.parse::<u64>().ok(),
            }
        });
        if let Some(v) = product.collect::<Option<Vec<u64>>>() {
            defs.insert(name, v.iter().product());
        }
    }
    defs
}

#[test]
fn header_constants_equal_the_library_constants() {
    let defs = header_defines();
    let mut codes_in_header: Vec<_> = defs
        .iter()
        .filter(|(n, _)| *n == "VMLS_OK" || n.starts_with("VMLS_ERR_"))
        .map(|(n, v)| (n.clone(), *v))
        .collect();
    codes_in_header.sort_by_key(|(_, v)| *v);
    let codes_in_lib: Vec<_> = vmls_ffi::ERROR_CODES
        .iter()
        .map(|(c, n)| (n.to_string(), u64::try_from(*c).unwrap()))
        .collect();
    assert_eq!(codes_in_header, codes_in_lib);
    let expect = [
        (
            "VMLS_MSG_APPLICATION",
            u64::from(vmls_ffi::VMLS_MSG_APPLICATION),
        ),
        ("VMLS_MSG_PROPOSAL", u64::from(vmls_ffi::VMLS_MSG_PROPOSAL)),
        ("VMLS_MSG_COMMIT", u64::from(vmls_ffi::VMLS_MSG_COMMIT)),
        ("VMLS_MSG_CBAM", u64::from(vmls_ffi::VMLS_MSG_CBAM)),
        ("VMLS_SENDER_NONE", u64::from(vmls_ffi::VMLS_SENDER_NONE)),
        ("VMLS_ABI_VERSION", u64::from(vmls_ffi::VMLS_ABI_VERSION)),
        ("VMLS_MAX_INPUT_LEN", vmls_ffi::VMLS_MAX_INPUT_LEN as u64),
        ("VMLS_MAX_ID_LEN", vmls_ffi::VMLS_MAX_ID_LEN as u64),
        ("VMLS_EPOCH_AUTHENTICATOR_LEN", 32),
    ];
    for (name, value) in expect {
        assert_eq!(defs.get(name), Some(&value), "{name}");
    }
}

#[test]
fn header_rng_struct_has_the_rust_layout() {
    // `VmlsRng` is #[repr(C)] { fill: Option<fn>, ctx: *mut c_void }: two pointers, fill first.
    let text = strip_c_comments(HEADER);
    let body = text
        .split("typedef struct vmls_rng {")
        .nth(1)
        .and_then(|s| s.split("} vmls_rng;").next())
        .unwrap();
    let fields: Vec<String> = body
        .split(';')
        .map(norm)
        .filter(|f| !f.is_empty())
        .collect();
    assert_eq!(
        fields,
        ["int (*fill)(void*ctx, uint8_t*buf, size_t len)", "void*ctx"]
    );
    assert_eq!(
        std::mem::size_of::<vmls_ffi::VmlsRng>(),
        2 * std::mem::size_of::<usize>()
    );
    assert_eq!(std::mem::offset_of!(vmls_ffi::VmlsRng, fill), 0);
}
