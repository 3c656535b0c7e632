//! The house's layout, checked from the source: no module of any crate imports, through any
//! chain, a module that imports it back. A circle makes two modules one in all but name (neither
//! can be understood, tested or moved without the other); this test names the modules of the
//! first circle it finds and the files that tie it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every module of a crate (`routes::shares`), with its file. Test modules in their own files
/// (`tests.rs`, `*/tests.rs`) are left out: they are the module they test.
fn modules(src: &Path) -> BTreeMap<String, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)
            .expect("read src")
            .filter_map(Result::ok)
        {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path
                .strip_prefix(src)
                .expect("under src")
                .with_extension("");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(
                parts.last().map(String::as_str),
                Some("lib" | "main" | "mod")
            ) {
                parts.pop();
            }
            if parts.last().is_some_and(|p| p == "tests") {
                continue;
            }
            out.insert(parts.join("::"), path);
        }
    }
    out
}

/// The identifiers path after `prefix` at each place it appears in `text`.
fn paths_after<'a>(text: &'a str, prefix: &str) -> Vec<Vec<&'a str>> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices(prefix) {
        let before = text[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &text[i + prefix.len()..];
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        out.push(rest[..end].split("::").filter(|s| !s.is_empty()).collect());
    }
    out
}

/// Which modules each module uses (`crate::…` and `super::…` paths, tests left out).
fn edges(mods: &BTreeMap<String, PathBuf>) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (m, path) in mods {
        let text = std::fs::read_to_string(path).expect("read");
        // The module's own tests come last, after `#[cfg(test)]`.
        let text = text.split("#[cfg(test)]").next().unwrap_or_default();
        let mut used = BTreeSet::new();
        let parent: Vec<&str> = m.split("::").filter(|s| !s.is_empty()).collect();
        let parent = &parent[..parent.len().saturating_sub(1)];
        let mut candidates: Vec<Vec<String>> = paths_after(text, "crate::")
            .into_iter()
            .map(|p| p.iter().map(|s| s.to_string()).collect())
            .collect();
        for p in paths_after(text, "super::") {
            let mut full: Vec<String> = parent.iter().map(|s| s.to_string()).collect();
            full.extend(p.iter().map(|s| s.to_string()));
            candidates.push(full);
        }
        for parts in candidates {
            // The longest prefix that is a module.
            let found = (1..=parts.len())
                .rev()
                .map(|k| parts[..k].join("::"))
                .find(|c| mods.contains_key(c));
            if let Some(target) = found {
                let related = target == *m
                    || m.starts_with(&format!("{target}::"))
                    || target.starts_with(&format!("{m}::"));
                if !related {
                    used.insert(target);
                }
            }
        }
        out.insert(m.clone(), used);
    }
    out
}

/// The strongly connected components of more than one module (Tarjan).
fn circles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(w: &mut Walk<'a>, v: &'a str) {
        let n = w.index.len();
        w.index.insert(v, n);
        w.low.insert(v, n);
        w.stack.push(v);
        w.on_stack.insert(v);
        let edges = w.edges;
        for u in edges.get(v).into_iter().flatten() {
            let u = u.as_str();
            if !w.index.contains_key(u) {
                visit(w, u);
                let low = w.low[v].min(w.low[u]);
                w.low.insert(v, low);
            } else if w.on_stack.contains(u) {
                let low = w.low[v].min(w.index[u]);
                w.low.insert(v, low);
            }
        }
        if w.low[v] == w.index[v] {
            let mut comp = Vec::new();
            while let Some(u) = w.stack.pop() {
                w.on_stack.remove(u);
                comp.push(u.to_string());
                if u == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                w.found.push(comp);
            }
        }
    }
    let mut w = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !w.index.contains_key(v.as_str()) {
            visit(&mut w, v);
        }
    }
    w.found
}

#[test]
fn no_module_of_any_crate_imports_itself_through_a_circle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates");
    let mut crates: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("crates")
        .filter_map(Result::ok)
        .map(|e| e.path().join("src"))
        .filter(|p| p.is_dir())
        .collect();
    crates.sort();
    assert!(crates.len() >= 4, "found the crates: {crates:?}");
    let mut report = Vec::new();
    for src in &crates {
        let mods = modules(src);
        let edges = edges(&mods);
        for comp in circles(&edges) {
            let ties: Vec<String> = comp
                .iter()
                .flat_map(|a| {
                    edges[a]
                        .iter()
                        .filter(|b| comp.contains(b))
                        .map(move |b| format!("{a} -> {b}"))
                })
                .collect();
            report.push(format!("{}: {}", src.display(), ties.join(", ")));
        }
    }
    assert!(
        report.is_empty(),
        "modules that import each other:\n{}",
        report.join("\n")
    );
}

#[test]
fn the_circle_check_finds_a_circle() {
    // The check itself, on a made-up graph: a -> b -> c -> a, and d alone.
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (a, b) in [("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")] {
        edges.entry(a.into()).or_default().insert(b.into());
    }
    edges.entry("d".into()).or_default();
    assert_eq!(circles(&edges), vec![vec!["a", "b", "c"]]);
    // And the parser: `crate::` and `super::` paths, not `my_crate::`.
    let text = "use crate::audit::{Event}; x.map(super::fields::parse); my_crate::nope";
    assert_eq!(paths_after(text, "crate::"), vec![vec!["audit"]]);
    assert_eq!(paths_after(text, "super::"), vec![vec!["fields", "parse"]]);
}

#[test]
fn the_service_layer_knows_no_web_framework() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/service/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).expect("the service crate's manifest");
    let deps = text
        .split("[dependencies]")
        .nth(1)
        .expect("a [dependencies] table");
    for web in ["actix", "utoipa"] {
        let found: Vec<&str> = deps
            .lines()
            .filter(|l| !l.trim_start().starts_with('#') && l.contains(web))
            .collect();
        assert!(
            found.is_empty(),
            "crates/service depends on {web}: {found:?}"
        );
    }
    // Nor through a path: its sources name no web framework either.
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/service/src");
    for (module, path) in modules(&src) {
        let text = std::fs::read_to_string(&path).expect("read");
        let code: Vec<&str> = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect();
        for web in ["actix_web", "utoipa"] {
            assert!(
                !code.iter().any(|l| l.contains(web)),
                "service module {module} names {web}"
            );
        }
    }
}

/// Every source file of every crate, under `crates/*/src`.
fn source_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates");
    let mut files = Vec::new();
    for krate in std::fs::read_dir(&root)
        .expect("crates")
        .filter_map(Result::ok)
    {
        let src = krate.path().join("src");
        if src.is_dir() {
            files.extend(modules(&src).into_values());
            // Test files too: `modules` leaves them out, a long file is long all the same.
            let mut stack = vec![src];
            while let Some(dir) = stack.pop() {
                for e in std::fs::read_dir(&dir).expect("dir").filter_map(Result::ok) {
                    let p = e.path();
                    if p.is_dir() {
                        stack.push(p);
                    } else if p.file_name().is_some_and(|n| n == "tests.rs") {
                        files.push(p);
                    }
                }
            }
        }
    }
    files.sort();
    files
}

#[test]
fn no_source_file_is_over_400_lines() {
    let files = source_files();
    assert!(files.len() > 50, "found the sources: {}", files.len());
    let long: Vec<String> = files
        .iter()
        .filter_map(|p| {
            let n = std::fs::read_to_string(p).expect("read").lines().count();
            (n > 400).then(|| format!("{} ({n} lines)", p.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "files over 400 lines:\n{}",
        long.join("\n")
    );
}

/// Each route handler (a function under an actix route attribute) and its length, from its
/// `fn` line to its closing brace.
fn handlers(text: &str) -> Vec<(String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let routes = [
        "#[get(",
        "#[post(",
        "#[put(",
        "#[patch(",
        "#[delete(",
        "#[route(",
    ];
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if !routes.iter().any(|r| l.trim_start().starts_with(r)) {
            continue;
        }
        let Some(start) = (i + 1..lines.len()).find(|&j| lines[j].contains("fn ")) else {
            continue;
        };
        let name = lines[start]
            .split("fn ")
            .nth(1)
            .and_then(|s| s.split('(').next())
            .unwrap_or("?")
            .to_string();
        let end = (start..lines.len())
            .find(|&j| lines[j] == "}")
            .unwrap_or(lines.len());
        out.push((name, end - start + 1));
    }
    out
}

#[test]
fn every_handler_reads_like_a_paragraph() {
    let routes = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/api/src");
    let mut all = Vec::new();
    for (_, path) in modules(&routes) {
        let text = std::fs::read_to_string(&path).expect("read");
        all.extend(
            handlers(&text)
                .into_iter()
                .map(|(name, n)| (format!("{}::{name}", path.display()), n)),
        );
    }
    assert!(all.len() >= 50, "found the handlers: {}", all.len());
    let long: Vec<String> = all
        .iter()
        .filter(|(_, n)| *n > 25)
        .map(|(h, n)| format!("{h} ({n} lines)"))
        .collect();
    assert!(
        long.is_empty(),
        "handlers over 25 lines:\n{}",
        long.join("\n")
    );
}

#[test]
fn the_handler_check_measures_handlers() {
    let text = "#[utoipa::path(get)]\n#[get(\"/x\")]\npub async fn short(\n    a: A,\n) -> R {\n    one();\n}\nfn helper() {\n    two();\n    three();\n}\n";
    assert_eq!(handlers(text), vec![("short".to_string(), 5)]);
}
