//! `monitoring/`: the Prometheus configuration, alert rules and Grafana dashboards the inbox ships with.
//! Their queries name only metrics the inbox exports, and a real Prometheus, run with the shipped
//! configuration, scrapes a running inbox and answers for it through its HTTP API. (`scripts/monitoring
//! check` runs promtool's checks and the rules' unit tests.)

use crate::helpers::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Series Prometheus itself writes for every target it scrapes; the dashboards and rules may use them.
const PROMETHEUS_OWN: [&str; 5] = [
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
];

/// What `metrics_process::Collector` records at each scrape (`src/http/prometheus.rs`): a crate's names,
/// not in our sources. The real-Prometheus test below reads one of them back, so the list is not taken on
/// trust.
const PROCESS_COLLECTOR: [&str; 8] = [
    "process_cpu_seconds_total",
    "process_open_fds",
    "process_max_fds",
    "process_virtual_memory_bytes",
    "process_virtual_memory_max_bytes",
    "process_resident_memory_bytes",
    "process_start_time_seconds",
    "process_threads",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == extension))
        .collect();
    found.sort();
    found
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The series names the inbox can export, read from the workspace's sources.
///
/// Why the sources and not a scrape: a metric shows in `/metrics` only once its code has run (a Graph
/// timeout, a model failing, an event set aside), and driving every such path from here would repeat the
/// whole test suite; a scrape of a fresh server would refuse dashboards for metrics that are simply quiet.
/// Every metric is recorded through one of the `metrics` crate's macros (`counter!`, `gauge!`,
/// `histogram!`), whose first argument is the name: a string literal, a `const` holding one (found by its
/// last path segment anywhere in the sources), or a `$parameter` of a local `macro_rules!` whose
/// invocations in the same file pass the names as string literals (`src/stats.rs`). Anything else is
/// refused, so a new way of naming metrics makes this test fail rather than miss them. A histogram the
/// exporter has buckets for is exported as `_bucket`, `_sum` and `_count` series, never under its bare
/// name; any other as a summary (the bare name with `quantile`, `_sum`, `_count`).
fn exported() -> BTreeSet<String> {
    let sources: Vec<(PathBuf, String)> = ["src", "actors/src", "projections/src"]
        .iter()
        .flat_map(|dir| rust_files(&root().join(dir)))
        .map(|path| {
            let text = read(&path);
            (path, text)
        })
        .collect();
    let consts: BTreeMap<String, String> = sources
        .iter()
        .flat_map(|(_, text)| string_consts(text))
        .collect();
    // The exporter's bucket matchers (src/http/prometheus.rs): `Matcher::Full("name")` or `Matcher::Suffix("_x")`.
    let exporter = read(&root().join("src/http/prometheus.rs"));
    let buckets: Vec<(bool, String)> = [("Matcher::Full(", true), ("Matcher::Suffix(", false)]
        .iter()
        .flat_map(|(call, full)| {
            exporter
                .match_indices(call)
                .map(|(at, _)| (*full, literal(exporter[at + call.len()..].trim_start())))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        !buckets.is_empty(),
        "no bucket matchers in src/http/prometheus.rs"
    );
    let mut names = BTreeSet::new();
    for (path, text) in &sources {
        for (kind, at) in macro_calls(text) {
            let argument = text[at..].trim_start();
            let recorded: Vec<String> = if argument.starts_with('"') {
                vec![literal(argument)]
            } else if let Some(param) = argument.strip_prefix('$') {
                let param: String = param.chars().take_while(|c| is_ident(*c)).collect();
                let name = enclosing_macro(&text[..at]).unwrap_or_else(|| {
                    panic!("{}: ${param} outside a macro_rules!", path.display())
                });
                invocation_literals(text, &name)
            } else {
                let path_expr: String = argument
                    .chars()
                    .take_while(|c| is_ident(*c) || *c == ':')
                    .collect();
                let last = path_expr.rsplit("::").next().unwrap_or_default();
                let value = consts.get(last).unwrap_or_else(|| {
                    panic!(
                        "{}: a {kind}! named by `{path_expr}`, which is no string const this test can find",
                        path.display()
                    )
                });
                vec![value.clone()]
            };
            assert!(
                !recorded.is_empty(),
                "{}: a {kind}! whose name this test cannot read",
                path.display()
            );
            for name in recorded {
                if kind != "histogram" {
                    names.insert(name);
                    continue;
                }
                // With buckets it is a histogram; without, the exporter renders a summary (quantiles under
                // the bare name).
                let bucketed = buckets.iter().any(|(full, text)| {
                    if *full {
                        name == *text
                    } else {
                        name.ends_with(text.as_str())
                    }
                });
                let first = if bucketed { "_bucket" } else { "" };
                for suffix in [first, "_sum", "_count"] {
                    names.insert(format!("{name}{suffix}"));
                }
            }
        }
    }
    names
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
    found
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `const NAME: &str = "value";` anywhere in `text`.
fn string_consts(text: &str) -> Vec<(String, String)> {
    text.match_indices("const ")
        .filter_map(|(at, _)| {
            let rest = &text[at + 6..];
            let (name, rest) = rest.split_once(':')?;
            let rest = rest.trim_start().strip_prefix("&str")?.trim_start();
            let rest = rest.strip_prefix('=')?.trim_start();
            rest.starts_with('"')
                .then(|| (name.trim().to_owned(), literal(rest)))
        })
        .collect()
}

/// Where the first argument of each `counter!(`, `gauge!(` and `histogram!(` starts, with the macro's
/// kind (`describe_counter!` and the like are not calls that record).
fn macro_calls(text: &str) -> Vec<(&'static str, usize)> {
    let mut calls = Vec::new();
    for kind in ["counter", "gauge", "histogram"] {
        let call = format!("{kind}!(");
        for (at, _) in text.match_indices(&call) {
            let before = text[..at].chars().next_back();
            if before.is_some_and(is_ident) {
                continue;
            }
            calls.push((kind, at + call.len()));
        }
    }
    calls
}

/// The string literal `text` starts with (our metric names hold no escapes).
fn literal(text: &str) -> String {
    let body = &text[1..];
    body[..body.find('"').expect("a closed string")].to_owned()
}

/// The name of the last `macro_rules!` opened before the end of `text`.
fn enclosing_macro(text: &str) -> Option<String> {
    let at = text.rfind("macro_rules!")?;
    let name: String = text[at + "macro_rules!".len()..]
        .trim_start()
        .chars()
        .take_while(|c| is_ident(*c))
        .collect();
    Some(name)
}

/// The string literals among the arguments of every `name!(...)` in `text`.
fn invocation_literals(text: &str, name: &str) -> Vec<String> {
    let call = format!("{name}!(");
    text.match_indices(&call)
        .filter(|(at, _)| !text[..*at].chars().next_back().is_some_and(is_ident))
        .flat_map(|(at, _)| {
            let args = &text[at + call.len()..];
            let args = &args[..args.find(')').expect("a closed invocation")];
            args.split(',')
                .map(str::trim)
                .filter(|a| a.starts_with('"'))
                .map(literal)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The metric names a PromQL expression selects: every identifier that is not a function or
/// aggregation (followed by `(`, `by` or `without`), a keyword, a label list (`by (...)`, `on (...)`, ...), inside label
/// matchers (`{...}`), a range or offset (`[...]`, `5m`), a string, a number or a Grafana variable (`$x`).
fn promql_metrics(expr: &str) -> BTreeSet<String> {
    const LABEL_LISTS: [&str; 6] = [
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
    ];
    const KEYWORDS: [&str; 8] = [
        "and", "or", "unless", "bool", "offset", "atan2", "inf", "nan",
    ];
    let chars: Vec<char> = expr.chars().collect();
    let mut names = BTreeSet::new();
    let mut i = 0;
    // Skips a string starting at `i`; returns the index after it.
    let skip_string = |i: usize| -> usize {
        let quote = chars[i];
        let mut j = i + 1;
        while j < chars.len() && chars[j] != quote {
            j += if chars[j] == '\\' { 2 } else { 1 };
        }
        j + 1
    };
    // Skips to after the `close` that ends the group opened at `i`, stepping over strings.
    let skip_group = |i: usize, close: char| -> usize {
        let mut j = i + 1;
        while j < chars.len() && chars[j] != close {
            j = if matches!(chars[j], '"' | '\'' | '`') {
                skip_string(j)
            } else {
                j + 1
            };
        }
        j + 1
    };
    while i < chars.len() {
        let c = chars[i];
        if matches!(c, '"' | '\'' | '`') {
            i = skip_string(i);
        } else if c == '{' {
            i = skip_group(i, '}');
        } else if c == '[' {
            i = skip_group(i, ']');
        } else if c == '#' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c.is_ascii_digit() || c == '.' {
            while i < chars.len() && (is_ident(chars[i]) || chars[i] == '.') {
                i += 1;
            }
        } else if c == '$' {
            i += 1;
            while i < chars.len() && is_ident(chars[i]) {
                i += 1;
            }
        } else if c.is_ascii_alphabetic() || c == '_' || c == ':' {
            let start = i;
            while i < chars.len() && (is_ident(chars[i]) || chars[i] == ':') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let mut next = i;
            while next < chars.len() && chars[next].is_whitespace() {
                next += 1;
            }
            let opens = chars.get(next) == Some(&'(');
            // `sum by (le) (...)`: an aggregation whose grouping comes first.
            let following: String = chars[next..].iter().take_while(|c| is_ident(**c)).collect();
            let aggregates = following == "by" || following == "without";
            if LABEL_LISTS.contains(&word.as_str()) {
                if opens {
                    i = skip_group(next, ')');
                }
            } else if !opens
                && !aggregates
                && !KEYWORDS.contains(&word.to_ascii_lowercase().as_str())
            {
                names.insert(word);
            }
        } else {
            i += 1;
        }
    }
    names
}

/// Every PromQL expression under `monitoring/`, with where it was found: the rules' `expr`, the rule
/// tests' input series, and the dashboards' targets.
fn monitoring_queries() -> Vec<(String, String)> {
    let mut queries = Vec::new();
    let prometheus = root().join("monitoring/prometheus");
    for path in files(&prometheus.join("rules"), "yml") {
        let text = read(&path);
        let exprs = yaml_values(&text, "expr");
        let rules = text
            .lines()
            .filter(|l| {
                let l = l.trim_start();
                l.starts_with("- alert:") || l.starts_with("- record:")
            })
            .count();
        assert_eq!(
            exprs.len(),
            rules,
            "{}: every rule has one expr this test can read",
            path.display()
        );
        queries.extend(exprs.into_iter().map(|e| (path.display().to_string(), e)));
    }
    for path in files(&prometheus.join("tests"), "yml") {
        let text = read(&path);
        let series = yaml_values(&text, "series");
        assert!(!series.is_empty(), "{}: no input series", path.display());
        queries.extend(series.into_iter().map(|e| (path.display().to_string(), e)));
    }
    let dashboards = files(&root().join("monitoring/grafana/dashboards"), "json");
    assert!(!dashboards.is_empty(), "no dashboards");
    for path in dashboards {
        let json: serde_json::Value = serde_json::from_str(&read(&path))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut exprs = Vec::new();
        json_exprs(&json, &mut exprs);
        assert!(!exprs.is_empty(), "{}: no queries", path.display());
        queries.extend(exprs.into_iter().map(|e| (path.display().to_string(), e)));
    }
    queries
}

/// The values of `key:` in a YAML file we write ourselves: on the key's line, plain or quoted, or a block
/// (`|`, `>`) of the lines indented deeper than the key.
fn yaml_values(text: &str, key: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut values = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start().trim_start_matches("- ");
        let Some(value) = trimmed.strip_prefix(&format!("{key}:")) else {
            continue;
        };
        let indent = line.len() - line.trim_start().len();
        let value = value.trim();
        if value.starts_with('|') || value.starts_with('>') {
            let block: Vec<&str> = lines[n + 1..]
                .iter()
                .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() > indent)
                .map(|l| l.trim())
                .collect();
            values.push(block.join("\n"));
        } else if (value.starts_with('\'') && value.ends_with('\''))
            || (value.starts_with('"') && value.ends_with('"'))
        {
            values.push(value[1..value.len() - 1].replace("''", "'"));
        } else {
            values.push(value.to_owned());
        }
    }
    values
}

fn json_exprs(value: &serde_json::Value, found: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("expr", serde_json::Value::String(expr)) => found.push(expr.clone()),
                    _ => json_exprs(v, found),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| json_exprs(v, found)),
        _ => {}
    }
}

/// The names in `expr` that are neither exported by the inbox nor written by Prometheus.
fn unknown(expr: &str, exported: &BTreeSet<String>) -> Vec<String> {
    promql_metrics(expr)
        .into_iter()
        .filter(|n| {
            !exported.contains(n)
                && !PROMETHEUS_OWN.contains(&n.as_str())
                && !PROCESS_COLLECTOR.contains(&n.as_str())
        })
        .collect()
}

#[test]
fn dashboards_and_rules_query_only_metrics_the_inbox_exports() {
    let exported = exported();
    // Each way of naming a metric is read: a literal, a const by its path, a local macro's argument.
    for name in [
        "inbox_graph_requests_total",
        "inbox_http_requests_total",
        "inbox_teamwork_actions_total",
        "inbox_webhook_bodies_total",
        "inbox_event_store_append_seconds_bucket",
        "inbox_event_store_batch_requests_bucket",
    ] {
        assert!(
            exported.contains(name),
            "{name} is not found in the sources"
        );
    }
    assert!(
        !exported.contains("inbox_event_store_append_seconds"),
        "a histogram has no series under its bare name"
    );
    // The reader of expressions, on what it must skip and what it must keep.
    assert_eq!(
        promql_metrics(
            r#"histogram_quantile(0.99, sum by (le, route) (rate(inbox_a_bucket{route=~"/x{y}", le!="1"}[$__rate_interval])))
               / on (job) group_left (instance) up offset 5m > bool 1e3 or vector(0) unless inbox_b"#
        ),
        BTreeSet::from([
            "inbox_a_bucket".to_owned(),
            "up".to_owned(),
            "inbox_b".to_owned()
        ])
    );
    // A name nobody records is caught, and so is a histogram's bare name or a counter's `_count`.
    for made_up in [
        "rate(inbox_no_such_thing_total[5m])",
        "sum(inbox_http_request_duration_seconds)",
        "inbox_http_requests_total_count",
    ] {
        assert!(!unknown(made_up, &exported).is_empty(), "{made_up} passed");
    }

    let queries = monitoring_queries();
    let wrong: Vec<String> = queries
        .iter()
        .flat_map(|(file, expr)| {
            unknown(expr, &exported)
                .into_iter()
                .map(move |name| format!("{file}: {name} in `{expr}`"))
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "metrics the inbox does not export:\n{}",
        wrong.join("\n")
    );
    assert!(
        queries
            .iter()
            .all(|(_, expr)| !promql_metrics(expr).is_empty()),
        "every query selects some metric"
    );
}

/// A Prometheus server this test started; killed when dropped.
struct Prometheus {
    child: std::sync::Mutex<Child>,
    url: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        if let Ok(child) = self.child.get_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Prometheus {
    /// Starts `prometheus` with the shipped `monitoring/prometheus/prometheus.yml` and its rules, pointed
    /// at `target` and scraping every second.
    fn start(target: &str) -> Prometheus {
        let binary = prometheus_binary();
        let dir = tempfile::tempdir().unwrap();
        let shipped = root().join("monitoring/prometheus");
        let mut config = read(&shipped.join("prometheus.yml"));
        for (from, to) in [
            ("\"inbox:8000\"", format!("\"{target}\"")),
            ("scrape_interval: 15s", "scrape_interval: 1s".to_owned()),
            (
                "evaluation_interval: 15s",
                "evaluation_interval: 1s".to_owned(),
            ),
        ] {
            assert!(config.contains(from), "prometheus.yml no longer has {from}");
            config = config.replace(from, &to);
        }
        std::fs::write(dir.path().join("prometheus.yml"), config).unwrap();
        std::fs::create_dir(dir.path().join("rules")).unwrap();
        for rules in files(&shipped.join("rules"), "yml") {
            std::fs::copy(
                &rules,
                dir.path().join("rules").join(rules.file_name().unwrap()),
            )
            .unwrap();
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = dir.path().join("prometheus.log");
        let child = Command::new(&binary)
            .arg(format!(
                "--config.file={}",
                dir.path().join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run {}: {e}; `scripts/monitoring bin` installs Debian's prometheus package \
                     and prints the binary's path for INBOX_PROMETHEUS_BIN",
                    binary.display()
                )
            });
        Prometheus {
            child: std::sync::Mutex::new(child),
            url: format!("http://127.0.0.1:{port}"),
            log,
            _dir: dir,
        }
    }

    /// Panics with Prometheus's log when it has exited.
    fn check_running(&self) {
        let exited = self.child.lock().unwrap().try_wait().unwrap();
        if let Some(status) = exited {
            panic!(
                "prometheus exited ({status}):\n{}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
        }
    }

    /// `GET /api/v1/<path>` with `query`; None while Prometheus does not answer yet.
    async fn api(
        &self,
        client: &reqwest::Client,
        path: &str,
        query: &[(&str, &str)],
    ) -> Option<serde_json::Value> {
        let response = client
            .get(format!("{}/api/v1/{path}", self.url))
            .query(query)
            .send()
            .await
            .ok()?;
        response.json().await.ok()
    }

    /// Polls `f` until it returns Some, for at most a minute.
    async fn until<T, F, Fut>(&self, what: &str, mut f: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            self.check_running();
            if let Some(found) = f().await {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "prometheus: {what} within a minute; its log:\n{}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// `INBOX_PROMETHEUS_BIN` (scripts/test sets it from `scripts/monitoring bin`), else `prometheus` on PATH.
fn prometheus_binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("INBOX_PROMETHEUS_BIN") {
        return PathBuf::from(bin);
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("prometheus"))
        .find(|p| p.is_file())
        .expect(
            "no prometheus binary: run `scripts/monitoring bin` (it installs Debian's prometheus package) \
             and set INBOX_PROMETHEUS_BIN to the path it prints, or put prometheus on PATH",
        )
}

/// The single sample of an instant query's answer, once it has one.
fn sample(answer: &serde_json::Value) -> Option<f64> {
    assert_eq!(answer["status"], "success", "{answer}");
    let result = answer["data"]["result"].as_array()?;
    let value = result.first()?["value"][1].as_str()?;
    Some(value.parse().expect("a sample's value is a number"))
}

#[tokio::test]
async fn a_real_prometheus_scrapes_the_inbox_with_the_shipped_config() {
    let app = TestApp::spawn().await;
    // Something this test made the inbox record, under its route's template.
    let health = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let prometheus = Prometheus::start(&app.address.to_string());
    let client = reqwest::Client::new();
    let instance = app.address.to_string();

    let up = format!(r#"up{{job="inbox", instance="{instance}"}}"#);
    let requests = format!(
        r#"sum(inbox_http_requests_total{{job="inbox", instance="{instance}", route="/health", status="200"}})"#
    );
    let memory = format!(r#"process_resident_memory_bytes{{job="inbox", instance="{instance}"}}"#);
    let (up_value, health_requests, resident) = prometheus
        .until("the inbox's requests read back", || async {
            let up = sample(&prometheus_query(&prometheus, &client, &up).await?)?;
            let requests = sample(&prometheus_query(&prometheus, &client, &requests).await?)?;
            let resident = sample(&prometheus_query(&prometheus, &client, &memory).await?)?;
            Some((up, requests, resident))
        })
        .await;
    assert!(
        resident > 1e6,
        "the process's own figures are scraped: {resident} bytes resident"
    );
    assert_eq!(up_value, 1.0, "the scrape succeeds");
    assert!(
        health_requests >= 1.0,
        "the GET /health is counted: {health_requests}"
    );

    // The shipped rules load, and each evaluates against the real series without an error.
    let alerts: BTreeSet<String> = files(&root().join("monitoring/prometheus/rules"), "yml")
        .iter()
        .flat_map(|path| yaml_values(&read(path), "alert"))
        .collect();
    let loaded = prometheus
        .until("every rule evaluated", || async {
            let answer = prometheus.api(&client, "rules", &[]).await?;
            let rules: Vec<(String, String, String)> = answer["data"]["groups"]
                .as_array()?
                .iter()
                .flat_map(|g| g["rules"].as_array().cloned().unwrap_or_default())
                .map(|r| {
                    let field = |k: &str| r[k].as_str().unwrap_or_default().to_owned();
                    (field("name"), field("health"), field("lastError"))
                })
                .collect();
            rules
                .iter()
                .all(|(_, health, _)| health != "unknown")
                .then_some(rules)
        })
        .await;
    let names: BTreeSet<String> = loaded.iter().map(|(n, _, _)| n.clone()).collect();
    assert_eq!(names, alerts, "the alerts Prometheus loaded");
    for (name, health, error) in &loaded {
        assert_eq!(health, "ok", "{name}: {error}");
    }

    // Every dashboard query is PromQL Prometheus accepts, once Grafana has put in its intervals.
    for path in files(&root().join("monitoring/grafana/dashboards"), "json") {
        let json: serde_json::Value = serde_json::from_str(&read(&path)).unwrap();
        let mut exprs = Vec::new();
        json_exprs(&json, &mut exprs);
        for expr in exprs {
            let expr = expr
                .replace("$__rate_interval", "1m")
                .replace("$__range", "1h");
            let answer = prometheus.api(&client, "query", &[("query", &expr)]).await;
            let answer = answer.expect("prometheus answers");
            assert_eq!(
                answer["status"],
                "success",
                "{}: `{expr}`: {answer}",
                path.display()
            );
        }
    }
}

async fn prometheus_query(
    prometheus: &Prometheus,
    client: &reqwest::Client,
    query: &str,
) -> Option<serde_json::Value> {
    prometheus.api(client, "query", &[("query", query)]).await
}
