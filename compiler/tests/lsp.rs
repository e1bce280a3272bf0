//! `berth lsp` over stdio, as an editor drives it: the real binary, JSON-RPC with
//! `Content-Length` framing, every request the server offers, then shutdown and exit.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
    /// Notifications read while waiting for a response.
    pending: Vec<Value>,
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length: ") {
            length = value.parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

impl Client {
    fn start(root: &std::path::Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_berth"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start berth lsp");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if sender.send(message).is_err() {
                    break;
                }
            }
        });
        let mut client = Self { child, stdin, messages, next_id: 1, pending: Vec::new() };
        let root_uri = format!("file://{}", root.display());
        let result = client.request(
            "initialize",
            json!({"processId": null, "rootUri": root_uri, "capabilities": {}, "initializationOptions": {"debounceMs": 20}}),
        );
        let capabilities = &result["capabilities"];
        for capability in [
            "completionProvider",
            "hoverProvider",
            "definitionProvider",
            "referencesProvider",
            "renameProvider",
            "documentFormattingProvider",
            "codeActionProvider",
            "documentSymbolProvider",
        ] {
            assert!(!capabilities[capability].is_null(), "the server offers {capability}: {result}");
        }
        assert_eq!(result["serverInfo"]["name"], "berth");
        client.notify("initialized", json!({}));
        client
    }

    fn send(&mut self, message: &Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Send a request and wait for its response (notifications read meanwhile are kept).
    fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let message = self.messages.recv_timeout(WAIT).unwrap_or_else(|_| panic!("no answer to {method}"));
            if message["id"] == id {
                return message;
            }
            self.pending.push(message);
        }
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let message = self.call(method, params);
        assert!(message["error"].is_null(), "{method} failed: {message}");
        message["result"].clone()
    }

    fn request_error(&mut self, method: &str, params: Value) -> Value {
        self.call(method, params)["error"].clone()
    }

    /// The diagnostics published for version `version` of `uri`.
    fn diagnostics(&mut self, uri: &str, version: i64) -> Vec<Value> {
        let wanted = |m: &Value| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && m["params"]["version"] == version
        };
        if let Some(index) = self.pending.iter().position(wanted) {
            let message = self.pending.remove(index);
            return message["params"]["diagnostics"].as_array().cloned().unwrap_or_default();
        }
        loop {
            let message = self.messages.recv_timeout(WAIT).expect("diagnostics are published");
            if wanted(&message) {
                return message["params"]["diagnostics"].as_array().cloned().unwrap_or_default();
            }
        }
    }
}

fn position_of(text: &str, needle: &str, after: usize) -> Value {
    let offset = text.find(needle).unwrap_or_else(|| panic!("{needle} in the spec")) + after;
    let line = text[..offset].matches('\n').count();
    let column = offset - text[..offset].rfind('\n').map_or(0, |i| i + 1);
    json!({"line": line, "character": column})
}

const SPEC: &str = r#"platform "shop" {
    registry "registry.example.internal/shop"
}

target "onprem" cloud="onprem" {
    dns "apps.example.internal"
}

environment "dev" target="onprem"

domain "shop" team="shop-team" {
    service "cart" {
        image "cart" tag="1.0.0"
        port "http" 8080
        health "/healthz"
        resources cpu="100m" memory="128Mi"
        uses "catalog"
    }
    service "catalog" {
        image "catalog" tag="1.0.0"
        port "http" 8080
        health "/healthz"
        resources cpu="100m" memory="128Mi"
        replica 2
    }
}
"#;

#[test]
fn an_editor_session_over_stdio() {
    let dir = std::env::temp_dir().join(format!("berth-lsp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("berth.kdl");
    let uri = format!("file://{}", path.display());
    let mut client = Client::start(&dir);

    // didOpen: the typo is an error with its code, and a did-you-mean.
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "berth", "version": 1, "text": SPEC}}),
    );
    let diagnostics = client.diagnostics(&uri, 1);
    let typo = diagnostics.iter().find(|d| d["code"] == "model::unknown_node").expect("the typo is reported");
    assert_eq!(typo["range"]["start"], position_of(SPEC, "replica 2", 0));
    assert_eq!(typo["severity"], 1);
    assert!(typo["message"].as_str().unwrap_or_default().contains("did you mean `replicas`"), "{typo}");

    // codeAction: apply the did-you-mean.
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": typo["range"], "context": {"diagnostics": [typo]}}),
    );
    let fix = &actions[0];
    assert_eq!(fix["title"], "Change to `replicas`");
    let edit = &fix["edit"]["changes"][&uri][0];
    assert_eq!(edit["newText"], "replicas");
    assert_eq!(edit["range"]["end"], position_of(SPEC, "replica 2", "replica".len()));

    // didChange (incremental): the fix; diagnostics clear after the debounce.
    let fixed = SPEC.replace("replica 2", "replicas 2");
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"range": edit["range"], "text": "replicas"}]}),
    );
    let diagnostics = client.diagnostics(&uri, 2);
    assert!(diagnostics.iter().all(|d| d["severity"] != 1), "no errors after the fix: {diagnostics:?}");

    // completion inside `uses "`: the spec's services.
    let completion_text = fixed.replace("uses \"catalog\"", "uses \"");
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": completion_text}]}),
    );
    let items = client.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": position_of(&completion_text, "uses \"", 6)}),
    );
    let labels: Vec<&str> = items.as_array().expect("items").iter().filter_map(|i| i["label"].as_str()).collect();
    assert_eq!(labels, ["catalog"]);
    let items = client.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": position_of(&completion_text, "port \"http\" 8080", 16)}),
    );
    let labels: Vec<&str> = items.as_array().expect("items").iter().filter_map(|i| i["label"].as_str()).collect();
    assert!(labels.contains(&"protocol=") && labels.contains(&"service-port="), "{labels:?}");
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 4}, "contentChanges": [{"text": fixed}]}),
    );

    // hover: a node's documentation (from the vocabulary) and a name's resolved facts.
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": position_of(&fixed, "replicas 2", 2)}),
    );
    let value = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(value.contains("Fixed number of pods"), "{value}");
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": position_of(&fixed, "uses \"catalog\"", 7)}),
    );
    let value = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(
        value.contains("namespace `shop-dev`") && value.contains("registry.example.internal/shop/catalog:1.0.0"),
        "{value}"
    );

    // definition: `uses "catalog"` goes to the service.
    let location = client.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri}, "position": position_of(&fixed, "uses \"catalog\"", 8)}),
    );
    assert_eq!(location["uri"], uri);
    assert_eq!(location["range"]["start"], position_of(&fixed, "service \"catalog\"", 9));

    // references: the definition and the `uses`.
    let references = client.request(
        "textDocument/references",
        json!({"textDocument": {"uri": uri}, "position": position_of(&fixed, "service \"catalog\"", 10), "context": {"includeDeclaration": true}}),
    );
    assert_eq!(references.as_array().map(Vec::len), Some(2), "{references}");

    // rename: the service and its `uses`; a name that is no DNS label is refused.
    let rename = client.request(
        "textDocument/rename",
        json!({"textDocument": {"uri": uri}, "position": position_of(&fixed, "service \"catalog\"", 10), "newName": "products"}),
    );
    let edits = rename["changes"][&uri].as_array().cloned().unwrap_or_default();
    assert_eq!(edits.len(), 2);
    assert!(edits.iter().all(|e| e["newText"] == "products"));
    let error = client.request_error(
        "textDocument/rename",
        json!({"textDocument": {"uri": uri}, "position": position_of(&fixed, "service \"catalog\"", 10), "newName": "Products"}),
    );
    assert!(error["message"].as_str().unwrap_or_default().contains("DNS-1123"), "{error}");

    // formatting: `berth fmt` as one edit.
    let messy = fixed.replace("    registry \"registry", "registry  \"registry");
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 5}, "contentChanges": [{"text": messy}]}),
    );
    let edits = client.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": uri}, "options": {"tabSize": 4, "insertSpaces": true}}),
    );
    assert_eq!(edits[0]["newText"], fixed.as_str());

    // documentSymbol: domains hold their workloads.
    let symbols = client.request("textDocument/documentSymbol", json!({"textDocument": {"uri": uri}}));
    let domain =
        symbols.as_array().and_then(|s| s.iter().find(|s| s["detail"] == "domain")).cloned().unwrap_or_default();
    assert_eq!(domain["name"], "shop");
    assert_eq!(domain["children"].as_array().map(Vec::len), Some(2));

    // A policy finding offers a waiver.
    let untagged = fixed.replace("image \"catalog\" tag=\"1.0.0\"", "image \"catalog\"");
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 6}, "contentChanges": [{"text": untagged}]}),
    );
    let diagnostics = client.diagnostics(&uri, 6);
    let finding = diagnostics.iter().find(|d| d["code"] == "tagless-image").cloned().expect("the policy finding");
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": finding["range"], "context": {"diagnostics": [finding]}}),
    );
    let waiver = actions
        .as_array()
        .and_then(|a| a.iter().find(|a| a["title"].as_str().unwrap_or_default().starts_with("Waive")))
        .cloned()
        .expect("a waiver action");
    let text = waiver["edit"]["changes"][&uri][0]["newText"].as_str().unwrap_or_default().to_owned();
    assert_eq!(text, "waive \"tagless-image\" on=\"shop/catalog\" reason=\"TODO: why this is acceptable\"\n");

    // shutdown, exit: the process ends with 0.
    let result = client.request("shutdown", Value::Null);
    assert!(result.is_null());
    client.notify("exit", Value::Null);
    let status = client.child.wait().expect("wait");
    assert!(status.success(), "{status}");
    std::fs::remove_dir_all(&dir).ok();
}

/// `berth check --format json` on `path`: (severity, code, message with its help, line,
/// column), 0-based positions as LSP counts them (the specs here are ASCII).
fn check_json(path: &std::path::Path) -> Vec<(i64, String, String, i64, i64)> {
    let output = Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(["check", "--format", "json"])
        .arg(path)
        .output()
        .expect("run berth check");
    let report: Value = serde_json::from_slice(&output.stdout).expect("a JSON report");
    let items = report.as_array().expect("an array of diagnostics");
    items
        .iter()
        .map(|d| {
            let severity = match d["severity"].as_str() {
                Some("error") => 1,
                Some("warning") => 2,
                _ => 3,
            };
            let mut message = d["message"].as_str().unwrap_or_default().to_owned();
            if let Some(help) = d["help"].as_str() {
                message.push_str(&format!("\nhelp: {help}"));
            }
            let code = d["code"].as_str().unwrap_or_default().to_owned();
            (severity, code, message, d["line"].as_i64().unwrap_or(1) - 1, d["column"].as_i64().unwrap_or(1) - 1)
        })
        .collect()
}

/// What the editor shows is what `berth check` says: for every example, and for specs
/// with a model error and a policy finding, the server's diagnostics (over stdio, from the
/// binary) equal `berth check --format json`'s one by one: severity, code, message and
/// help, position.
#[test]
fn the_editor_shows_what_berth_check_says() {
    let dir = std::env::temp_dir().join(format!("berth-lsp-same-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut specs: Vec<(String, String)> = Vec::new();
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut names: Vec<_> = std::fs::read_dir(&examples).expect("examples").flatten().map(|e| e.path()).collect();
    names.sort();
    for example in names {
        if let Ok(text) = std::fs::read_to_string(example.join("spec.kdl")) {
            specs.push((example.file_name().unwrap_or_default().to_string_lossy().into_owned(), text));
        }
    }
    specs.push(("typo".into(), SPEC.to_owned()));
    specs.push((
        "untagged".into(),
        SPEC.replace("replica 2", "replicas 2").replace("image \"catalog\" tag=\"1.0.0\"", "image \"catalog\""),
    ));
    let mut client = Client::start(&dir);
    let mut compared = 0;
    for (version, (name, text)) in specs.iter().enumerate() {
        let path = dir.join(format!("{name}.kdl"));
        std::fs::write(&path, text).expect("write the spec");
        let uri = format!("file://{}", path.display());
        let version = i64::try_from(version).unwrap_or_default() + 1;
        client.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "berth", "version": version, "text": text}}),
        );
        let mut shown: Vec<(i64, String, String, i64, i64)> = client
            .diagnostics(&uri, version)
            .iter()
            .map(|d| {
                (
                    d["severity"].as_i64().unwrap_or_default(),
                    d["code"].as_str().unwrap_or_default().to_owned(),
                    d["message"].as_str().unwrap_or_default().to_owned(),
                    d["range"]["start"]["line"].as_i64().unwrap_or_default(),
                    d["range"]["start"]["character"].as_i64().unwrap_or_default(),
                )
            })
            .collect();
        let mut checked = check_json(&path);
        shown.sort();
        checked.sort();
        assert_eq!(shown, checked, "{name}: the editor's diagnostics and `berth check`'s");
        compared += shown.len();
    }
    assert!(compared >= 2, "the broken specs have diagnostics to compare ({compared})");
    let result = client.request("shutdown", Value::Null);
    assert!(result.is_null());
    client.notify("exit", Value::Null);
    assert!(client.child.wait().expect("wait").success());
    std::fs::remove_dir_all(&dir).ok();
}
