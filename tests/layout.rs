//! The code's shape, checked: no import circle between the files of `src/` (the edges are
//! the `use crate::...` and `crate::...` paths each file's code names, outside its unit
//! tests and comments: a doc link is not a dependency).
//! A circle means two files call into each other, so neither can be read or changed alone;
//! docs/design.md describes the layers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable source folder") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file under `src/`: `collective/object.rs` -> ["collective",
/// "object"]; `mod.rs` and `lib.rs` name their folder.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// The modules a file's text names through `crate::a::b::...` paths (the longest prefix
/// that is a module), with the braces of a `use crate::a::{b, c::d}` expanded.
fn edges(text: &str, modules: &BTreeSet<Vec<String>>) -> BTreeSet<Vec<String>> {
    let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        let tail = &rest[at + "crate::".len()..];
        let path: String = tail
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let mut segments: Vec<String> = path
            .split("::")
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let mut candidates = vec![segments.clone()];
        if tail[path.len()..].starts_with('{') {
            let inner = &tail[path.len() + 1..tail.find('}').unwrap_or(path.len() + 1)];
            for item in inner.split(',') {
                let mut full = segments.clone();
                full.extend(item.trim().split("::").map(|s| s.trim().to_string()));
                candidates.push(full);
            }
        }
        for mut c in candidates.drain(..) {
            while !c.is_empty() && !modules.contains(&c) {
                c.pop();
            }
            if !c.is_empty() {
                found.insert(c);
            }
        }
        segments.clear();
        rest = tail;
    }
    found
}

#[test]
fn no_import_circle_between_the_files_of_src() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(&src, f)).collect();
    let mut graph: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for file in &files {
        let me = module_of(&src, file);
        let text = std::fs::read_to_string(file).expect("readable source");
        let code: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .map(|l| format!("{l}\n"))
            .collect();
        let mut deps = edges(&code, &modules);
        deps.remove(&me);
        graph.insert(me, deps);
    }
    assert!(
        graph.len() > 50 && graph.values().map(BTreeSet::len).sum::<usize>() > 100,
        "the scan found too few files or edges to mean anything: {} files",
        graph.len()
    );
    // A circle is a path from a module back to itself: depth-first search, colouring each
    // module while it is on the current path.
    let name = |m: &Vec<String>| m.join("/");
    let mut done = BTreeSet::new();
    let mut circles = Vec::new();
    for start in graph.keys() {
        let mut path = vec![start.clone()];
        let mut stack = vec![graph[start].iter()];
        while let Some(next) = stack.last_mut().map(Iterator::next) {
            match next {
                None => {
                    stack.pop();
                    done.insert(path.pop().expect("a module per frame"));
                }
                Some(dep) if path.contains(dep) => {
                    let from = path.iter().position(|m| m == dep).expect("on the path");
                    let mut circle: Vec<String> = path[from..].iter().map(name).collect();
                    circle.push(name(dep));
                    circles.push(circle.join(" -> "));
                }
                Some(dep) if done.contains(dep) || !graph.contains_key(dep) => {}
                Some(dep) => {
                    path.push(dep.clone());
                    stack.push(graph[dep].iter());
                }
            }
        }
    }
    assert!(
        circles.is_empty(),
        "import circles between files of src/:\n{}",
        circles.join("\n")
    );
}

#[test]
fn mpi_ffi_is_named_only_in_the_raw_module() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let raw = src.join("raw");
    let (inside, outside): (Vec<_>, Vec<_>) = files.iter().partition(|f| f.starts_with(&raw));
    let names = |f: &PathBuf| {
        std::fs::read_to_string(f)
            .expect("readable source")
            .contains("mpi::ffi")
    };
    assert!(
        inside.iter().filter(|f| names(f)).count() >= 3,
        "src/raw/ should hold the raw calls"
    );
    let offenders: Vec<String> = outside
        .iter()
        .filter(|f| names(f))
        .map(|f| f.display().to_string())
        .collect();
    assert!(
        offenders.is_empty(),
        "mpi::ffi named outside src/raw/: {offenders:?}"
    );
}

#[test]
fn no_source_file_over_500_lines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["src", "cli/src", "kernels/src"] {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 80, "found only {} files", files.len());
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let lines = std::fs::read_to_string(f)
                .expect("readable")
                .lines()
                .count();
            (lines > 500).then(|| format!("{} ({lines} lines)", f.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "files over 500 lines (split them by job): {long:?}"
    );
}
