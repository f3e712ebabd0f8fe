//! Builds the web app (web/, with npm and Vite) into OUT_DIR/web, where
//! rust-embed picks it up, so a plain `cargo build` on a fresh clone makes a
//! binary that serves the app with no step by hand. npm installs exactly what
//! web/package-lock.json pins.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let web = manifest.join("../../web");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("web");
    for p in [
        "src",
        "tools",
        "index.html",
        "package.json",
        "package-lock.json",
        "vite.config.ts",
        "tsconfig.json",
    ] {
        println!("cargo:rerun-if-changed={}", web.join(p).display());
    }
    println!("cargo:rerun-if-env-changed=FERROTWIN_WEB_DIST");
    // A prebuilt app (for packagers who build web/ separately).
    if let Ok(dist) = std::env::var("FERROTWIN_WEB_DIST") {
        copy_dir(Path::new(&dist), &out);
        return;
    }
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let lock = web.join("package-lock.json");
    let installed = web.join("node_modules/.package-lock.json");
    if !installed.exists() || modified(&lock) > modified(&installed) {
        run(
            Command::new(npm)
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(&web),
            "npm ci (installing the web app's packages from web/package-lock.json)",
        );
    }
    let out_arg = out.to_str().expect("OUT_DIR is UTF-8");
    run(
        Command::new(npm)
            .args([
                "run",
                "--silent",
                "build",
                "--",
                "--outDir",
                out_arg,
                "--emptyOutDir",
                "--logLevel",
                "warn",
            ])
            .current_dir(&web),
        "npm run build (the web app)",
    );
}

fn modified(p: &Path) -> std::time::SystemTime {
    std::fs::metadata(p)
        .and_then(|m| m.modified())
        .unwrap_or(std::time::UNIX_EPOCH)
}

fn run(cmd: &mut Command, what: &str) {
    match cmd.status() {
        Ok(s) if s.success() => {}
        Ok(s) => panic!("{what} failed ({s}); its output is above"),
        Err(e) => panic!(
            "{what} could not start: {e}. Building ferrotwin needs Node.js 20 or later and npm on PATH, or FERROTWIN_WEB_DIST pointing at a built web/dist"
        ),
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("creating OUT_DIR/web");
    for e in std::fs::read_dir(from)
        .unwrap_or_else(|e| panic!("FERROTWIN_WEB_DIST {}: {e}", from.display()))
    {
        let e = e.expect("reading FERROTWIN_WEB_DIST");
        let target = to.join(e.file_name());
        if e.file_type().expect("file type").is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).expect("copying the prebuilt web app");
        }
    }
}
