//! The checked-in header is what cbindgen generates from the source: a
//! change to the ABI that forgets the header fails here.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::Path;

#[test]
fn the_checked_in_header_is_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml parses");
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(dir)
        .with_config(config)
        .generate()
        .expect("cbindgen reads the crate")
        .write(&mut generated);
    let generated = String::from_utf8(generated).expect("the header is UTF-8");
    let path = dir.join("include/rwc_runtime.h");
    if std::env::var_os("RW_UPDATE_HEADER").is_some() {
        std::fs::write(&path, &generated).expect("header written");
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "runtime/capi/include/rwc_runtime.h is stale: run `RW_UPDATE_HEADER=1 cargo test -p rw-capi --test header`"
    );
}
