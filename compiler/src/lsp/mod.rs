//! `berth lsp`: a language server over stdio (lsp-server, lsp-types).
//!
//! It runs the real pipeline (`driver::compile`, what `berth check` runs) on every open
//! document, debounced after changes, and publishes its diagnostics with codes and related
//! spans. Completion, hover, definition, references, rename, outline, formatting and code
//! actions read the text through a tolerant scanner (`scan`), so they work on partial
//! input; hovers add the last resolved estate's facts.
//!
//! Like `main.rs` and `output`, this module is an IO boundary: it reads stdin, writes
//! stdout and reads the user library folders named in the client's settings
//! (`initializationOptions` or `workspace/didChangeConfiguration`: `{"libraries": [dir, ...]}`
//! or `{"berth": {"libraries": [...]}}`).

pub mod analysis;
pub mod complete;
pub mod features;
pub mod library;
pub mod names;
pub mod scan;
pub mod text;

pub use lsp_types::Url;

use crate::diag::SourceFile;
use analysis::Analysis;
use library::Catalogue;
use lsp_server::{Connection, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeConfiguration, DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
    Notification as _, PublishDiagnostics,
};
use lsp_types::request::{
    CodeActionRequest, Completion, DocumentSymbolRequest, Formatting, GotoDefinition, HoverRequest, References, Rename,
    Request as _,
};
use lsp_types::{
    CodeActionProviderCapability, CompletionOptions, InitializeParams, OneOf, PublishDiagnosticsParams,
    ServerCapabilities, ServerInfo, TextDocumentSyncCapability, TextDocumentSyncKind,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long the server waits after a change before checking again (more changes restart
/// the wait); `initializationOptions.debounceMs` overrides it.
const DEBOUNCE: Duration = Duration::from_millis(150);

/// One open document.
struct Document {
    text: String,
    version: i32,
    /// When it changed without being checked since.
    dirty: Option<Instant>,
    analysis: Option<Analysis>,
    /// The last resolved estate (kept while the text does not resolve, for hovers).
    estate: Option<crate::resolve::Estate>,
}

/// The server's state across requests: the documents, the library and what is cached.
pub struct Server {
    documents: BTreeMap<Url, Document>,
    root: Option<PathBuf>,
    library_dirs: Vec<PathBuf>,
    libraries: Vec<SourceFile>,
    catalogue: Catalogue,
    debounce: Duration,
    today: String,
}

/// Run the server on stdio until the client says `exit`; the process exit code.
pub fn serve(today: String) -> u8 {
    let (connection, threads) = Connection::stdio();
    let code = match run(&connection, today) {
        Ok(()) => 0,
        Err(error) => {
            eprintln!("berth lsp: {error}");
            1
        }
    };
    drop(connection);
    if threads.join().is_err() {
        return 1;
    }
    code
}

/// What the server offers.
pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::INCREMENTAL)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec!["\"".into(), "=".into()]),
            ..CompletionOptions::default()
        }),
        hover_provider: Some(lsp_types::HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
        ..ServerCapabilities::default()
    }
}

/// Serve one connection: the handshake, then messages until `exit`.
pub fn run(connection: &Connection, today: String) -> Result<(), String> {
    let capabilities = serde_json::to_value(capabilities()).map_err(|e| e.to_string())?;
    let (id, params) = connection.initialize_start().map_err(|e| e.to_string())?;
    let result = serde_json::json!({
        "capabilities": capabilities,
        "serverInfo": ServerInfo { name: "berth".into(), version: Some(env!("CARGO_PKG_VERSION").into()) },
    });
    connection.initialize_finish(id, result).map_err(|e| e.to_string())?;
    let params: InitializeParams = serde_json::from_value(params).map_err(|e| e.to_string())?;
    #[allow(deprecated)] // `root_uri` is what single-folder clients (Neovim 0.7) send.
    let root = params
        .workspace_folders
        .as_ref()
        .and_then(|folders| folders.first())
        .map(|folder| folder.uri.clone())
        .or(params.root_uri.clone())
        .and_then(|uri| uri.to_file_path().ok());
    let options = params.initialization_options.unwrap_or(Value::Null);
    let debounce = options.get("debounceMs").and_then(Value::as_u64).map_or(DEBOUNCE, Duration::from_millis);
    let mut server = Server {
        documents: BTreeMap::new(),
        root,
        library_dirs: Vec::new(),
        libraries: Vec::new(),
        catalogue: Catalogue::new(&[]),
        debounce,
        today,
    };
    server.configure(&options);
    server.main_loop(connection)
}

impl Server {
    fn main_loop(&mut self, connection: &Connection) -> Result<(), String> {
        loop {
            let due = self.documents.values().filter_map(|d| d.dirty).min().map(|since| since + self.debounce);
            let message = match due {
                Some(due) => match connection.receiver.recv_timeout(due.saturating_duration_since(Instant::now())) {
                    Ok(message) => message,
                    Err(crossbeam_timeout) if crossbeam_timeout.is_timeout() => {
                        self.check_due(connection, false)?;
                        continue;
                    }
                    Err(_) => return Ok(()),
                },
                None => match connection.receiver.recv() {
                    Ok(message) => message,
                    Err(_) => return Ok(()),
                },
            };
            match message {
                Message::Request(request) => {
                    if connection.handle_shutdown(&request).map_err(|e| e.to_string())? {
                        return Ok(());
                    }
                    let response = self.request(connection, request)?;
                    send(connection, Message::Response(response))?;
                }
                Message::Notification(notification) => self.notification(connection, notification)?,
                Message::Response(_) => {}
            }
        }
    }

    /// Read the library folders named in `settings` (relative ones from the workspace root).
    fn configure(&mut self, settings: &Value) {
        let settings = settings.get("berth").unwrap_or(settings);
        let Some(dirs) = settings.get("libraries").and_then(Value::as_array) else { return };
        self.library_dirs = dirs
            .iter()
            .filter_map(Value::as_str)
            .map(|dir| match &self.root {
                Some(root) if Path::new(dir).is_relative() => root.join(dir),
                _ => PathBuf::from(dir),
            })
            .collect();
        self.reload_libraries();
    }

    fn reload_libraries(&mut self) {
        self.libraries = read_libraries(&self.library_dirs);
        self.catalogue = Catalogue::new(&self.libraries);
        let now = Instant::now();
        for document in self.documents.values_mut() {
            document.dirty = Some(now);
        }
    }

    /// Check every document whose wait is over (every dirty one with `all`) and publish.
    fn check_due(&mut self, connection: &Connection, all: bool) -> Result<(), String> {
        let now = Instant::now();
        let due: Vec<Url> = self
            .documents
            .iter()
            .filter(|(_, d)| d.dirty.is_some_and(|since| all || since + self.debounce <= now))
            .map(|(uri, _)| uri.clone())
            .collect();
        for uri in due {
            self.check(connection, &uri)?;
        }
        Ok(())
    }

    /// Check one document now and publish its diagnostics (and its library files').
    fn check(&mut self, connection: &Connection, uri: &Url) -> Result<(), String> {
        let Some(document) = self.documents.get_mut(uri) else { return Ok(()) };
        let mut analysis = analysis::analyse(uri, &document.text, &self.libraries, &self.today);
        document.dirty = None;
        if let Some(estate) = analysis.estate.take() {
            document.estate = Some(estate);
        }
        let mut publish = vec![(uri.clone(), analysis.diagnostics.clone(), Some(document.version))];
        publish.extend(analysis.library.iter().map(|(url, diags)| (url.clone(), diags.clone(), None)));
        document.analysis = Some(analysis);
        for (uri, diagnostics, version) in publish {
            let params = PublishDiagnosticsParams { uri, diagnostics, version };
            let notification = Notification::new(PublishDiagnostics::METHOD.to_owned(), params);
            send(connection, Message::Notification(notification))?;
        }
        Ok(())
    }

    fn notification(&mut self, connection: &Connection, notification: Notification) -> Result<(), String> {
        let params = notification.params;
        match notification.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let params: lsp_types::DidOpenTextDocumentParams = parse(params)?;
                let document = params.text_document;
                self.documents.insert(
                    document.uri.clone(),
                    Document {
                        text: document.text,
                        version: document.version,
                        dirty: None,
                        analysis: None,
                        estate: None,
                    },
                );
                self.check(connection, &document.uri)?;
            }
            DidChangeTextDocument::METHOD => {
                let params: lsp_types::DidChangeTextDocumentParams = parse(params)?;
                if let Some(document) = self.documents.get_mut(&params.text_document.uri) {
                    for change in &params.content_changes {
                        text::apply(&mut document.text, change);
                    }
                    document.version = params.text_document.version;
                    document.dirty = Some(Instant::now());
                }
            }
            DidSaveTextDocument::METHOD => {
                let params: lsp_types::DidSaveTextDocumentParams = parse(params)?;
                let is_library = params
                    .text_document
                    .uri
                    .to_file_path()
                    .is_ok_and(|path| self.library_dirs.iter().any(|dir| path.starts_with(dir)));
                if is_library {
                    self.reload_libraries();
                }
            }
            DidCloseTextDocument::METHOD => {
                let params: lsp_types::DidCloseTextDocumentParams = parse(params)?;
                self.documents.remove(&params.text_document.uri);
                let params =
                    PublishDiagnosticsParams { uri: params.text_document.uri, diagnostics: Vec::new(), version: None };
                let notification = Notification::new(PublishDiagnostics::METHOD.to_owned(), params);
                send(connection, Message::Notification(notification))?;
            }
            DidChangeConfiguration::METHOD => {
                let params: lsp_types::DidChangeConfigurationParams = parse(params)?;
                self.configure(&params.settings);
            }
            _ => {}
        }
        Ok(())
    }

    fn request(&mut self, connection: &Connection, request: Request) -> Result<Response, String> {
        let Request { id, method, params } = request;
        let result = match method.as_str() {
            Completion::METHOD => {
                let p: lsp_types::CompletionParams = parse(params)?;
                let position = p.text_document_position;
                self.with_text(&position.text_document.uri, |text, server| {
                    let offset = features::offset(text, position.position);
                    to_value(complete::complete(text, offset, &server.catalogue))
                })
            }
            HoverRequest::METHOD => {
                let p: lsp_types::HoverParams = parse(params)?;
                let position = p.text_document_position_params;
                self.flush(connection, &position.text_document.uri)?;
                self.with_document(&position.text_document.uri, |document, server| {
                    let offset = features::offset(&document.text, position.position);
                    to_value(features::hover(&document.text, offset, &server.catalogue, document.estate.as_ref()))
                })
            }
            GotoDefinition::METHOD => {
                let p: lsp_types::GotoDefinitionParams = parse(params)?;
                let position = p.text_document_position_params;
                let uri = position.text_document.uri.clone();
                self.with_text(&uri, |text, server| {
                    let offset = features::offset(text, position.position);
                    to_value(features::definition(&uri, text, offset, &server.catalogue))
                })
            }
            References::METHOD => {
                let p: lsp_types::ReferenceParams = parse(params)?;
                let position = p.text_document_position;
                let uri = position.text_document.uri.clone();
                self.with_text(&uri, |text, _| {
                    let offset = features::offset(text, position.position);
                    let found = features::references(text, offset, p.context.include_declaration);
                    let locations: Vec<lsp_types::Location> =
                        found.into_iter().map(|(range, _)| lsp_types::Location { uri: uri.clone(), range }).collect();
                    to_value(locations)
                })
            }
            Rename::METHOD => {
                let p: lsp_types::RenameParams = parse(params)?;
                let position = p.text_document_position;
                let uri = position.text_document.uri.clone();
                let edit = self.with_text(&uri, |text, _| {
                    let offset = features::offset(text, position.position);
                    Some(features::rename(&uri, text, offset, &p.new_name))
                });
                match edit {
                    Some(Ok(edit)) => to_value(edit),
                    Some(Err(message)) => {
                        return Ok(Response::new_err(id, lsp_server::ErrorCode::InvalidParams as i32, message));
                    }
                    None => Some(Value::Null),
                }
            }
            DocumentSymbolRequest::METHOD => {
                let p: lsp_types::DocumentSymbolParams = parse(params)?;
                self.with_text(&p.text_document.uri, |text, _| to_value(features::symbols(text)))
            }
            Formatting::METHOD => {
                let p: lsp_types::DocumentFormattingParams = parse(params)?;
                self.with_text(&p.text_document.uri, |text, _| to_value(features::format(text)))
            }
            CodeActionRequest::METHOD => {
                let p: lsp_types::CodeActionParams = parse(params)?;
                let uri = p.text_document.uri.clone();
                self.flush(connection, &uri)?;
                self.with_document(&uri, |document, _| {
                    let actions = features::code_actions(
                        &uri,
                        &document.text,
                        &p.context.diagnostics,
                        document.analysis.as_ref(),
                    );
                    to_value(actions)
                })
            }
            _ => {
                let message = format!("berth lsp does not handle `{method}`");
                return Ok(Response::new_err(id, lsp_server::ErrorCode::MethodNotFound as i32, message));
            }
        };
        Ok(Response::new_ok(id, result.unwrap_or(Value::Null)))
    }

    /// Check `uri` now if it changed since its last check (a request needs fresh results).
    fn flush(&mut self, connection: &Connection, uri: &Url) -> Result<(), String> {
        if self.documents.get(uri).is_some_and(|d| d.dirty.is_some()) {
            self.check(connection, uri)?;
        }
        Ok(())
    }

    fn with_text<T>(&self, uri: &Url, f: impl FnOnce(&str, &Self) -> Option<T>) -> Option<T> {
        let document = self.documents.get(uri)?;
        f(&document.text, self)
    }

    fn with_document<T>(&self, uri: &Url, f: impl FnOnce(&Document, &Self) -> Option<T>) -> Option<T> {
        let document = self.documents.get(uri)?;
        f(document, self)
    }
}

fn to_value<T: serde::Serialize>(value: T) -> Option<Value> {
    serde_json::to_value(value).ok()
}

fn parse<T: serde::de::DeserializeOwned>(params: Value) -> Result<T, String> {
    serde_json::from_value(params).map_err(|e| format!("bad parameters: {e}"))
}

fn send(connection: &Connection, message: Message) -> Result<(), String> {
    connection.sender.send(message).map_err(|e| e.to_string())
}

/// The `.kdl` files of the library folders, in name order per folder (as `berth --lib`).
fn read_libraries(dirs: &[PathBuf]) -> Vec<SourceFile> {
    let mut files = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "kdl"))
            .collect();
        paths.sort();
        for path in paths {
            if let Ok(text) = std::fs::read_to_string(&path) {
                files.push(SourceFile { name: path.display().to_string(), text });
            }
        }
    }
    files
}

/// Check `text` as a document at `uri` would be checked: for tests and the benchmark.
pub fn check_text(uri: &Url, text: &str, libraries: &[SourceFile], today: &str) -> Analysis {
    analysis::analyse(uri, text, libraries, today)
}
