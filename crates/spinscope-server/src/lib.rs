//! spinscope's web face: a self-contained HTML report (`analyze --format html`) and a local
//! server (`serve`) with the same view for pasted or uploaded text, a JSON API, and — with a
//! corpus — search, trends and reuse pages.
//!
//! Article text is hostile input: every value reaches HTML through askama's escaping, pages
//! carry no script at all and a Content-Security-Policy that forbids any, bodies are capped,
//! and static files come from a fixed embedded table, never the file system.

pub mod pages;
pub mod view;

use std::io::Cursor;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use spinscope_core::ingest::{self, Input};
use spinscope_core::{analyze_with, Annotator, Document, Options};
use spinscope_corpus::reuse::{self, Cluster, ReuseOptions};
use spinscope_corpus::trends::{self, By};
use spinscope_corpus::{Corpus, Filter};

use pages::{
    ClusterView, HitView, IndexPage, Layout, ReportPage, ReusePage, SearchPage, TrendsPage, CSS,
};

/// Request bodies above this get HTTP 413.
pub const DEFAULT_BODY_LIMIT: usize = 10 * 1024 * 1024;

/// No scripts, no inline styles, nothing from elsewhere; forms post only here.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                   base-uri 'none'; frame-ancestors 'none'";

/// One self-contained HTML file for reports (JSON) and their texts: the `--format html` output.
pub fn standalone_report(reports: &[(Value, String)]) -> String {
    render(&ReportPage::new(Layout::standalone(), reports))
}

fn render(t: &impl Template) -> String {
    t.render()
        .unwrap_or_else(|e| format!("<!doctype html><p>template error: {e}</p>"))
}

#[derive(Debug, Clone)]
pub struct Config {
    pub host: String,
    pub port: u16,
    pub db: Option<PathBuf>,
    pub body_limit: usize,
    /// A tier run after the rules on every analysis (the learned tier); `None`: rules only.
    pub annotator: Option<Arc<dyn Annotator>>,
    /// How long a client gets to send a request's headers ([`HEADER_TIMEOUT`]).
    pub header_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: "127.0.0.1".into(),
            port: 8000,
            db: None,
            body_limit: DEFAULT_BODY_LIMIT,
            annotator: None,
            header_timeout: HEADER_TIMEOUT,
        }
    }
}

/// What handlers share.
#[derive(Debug)]
pub struct AppState {
    corpus: Option<Mutex<Corpus>>,
    annotator: Option<Arc<dyn Annotator>>,
    /// Reuse clusters, computed on first request (the corpus does not change under a server).
    clusters: OnceLock<Result<(Vec<Cluster>, String), String>>,
}

impl AppState {
    pub fn new(corpus: Option<Corpus>) -> AppState {
        AppState {
            corpus: corpus.map(Mutex::new),
            annotator: None,
            clusters: OnceLock::new(),
        }
    }
    /// Runs `annotator` after the rules on every analysis.
    pub fn with_annotator(mut self, annotator: Option<Arc<dyn Annotator>>) -> AppState {
        self.annotator = annotator;
        self
    }

    fn layout(&self) -> Layout {
        Layout::served(self.corpus.is_some())
    }
}

type Shared = Arc<AppState>;

/// The application: pages, API, static files, limits and security headers.
pub fn router(state: Shared, body_limit: usize) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/report", post(report_page))
        .route("/api/analyze", post(api_analyze))
        .route("/api/search", get(api_search))
        .route("/search", get(search_page))
        .route("/trends", get(trends_page))
        .route("/reuse", get(reuse_page))
        .route("/document/{key}", get(document_page))
        .route("/static/{name}", get(static_file))
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found\n") })
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// Binds, calls `ready` with the address (port 0 picks a free one), serves until Ctrl-C.
pub async fn serve(config: Config, ready: impl FnOnce(SocketAddr)) -> std::io::Result<()> {
    let corpus = match &config.db {
        Some(db) => Some(
            Corpus::open(db)
                .map_err(|e| std::io::Error::other(format!("{}: {e}", db.display())))?,
        ),
        None => None,
    };
    let state = AppState::new(corpus).with_annotator(config.annotator.clone());
    let app = router(Arc::new(state), config.body_limit);
    let listener = tokio::net::TcpListener::bind((config.host.as_str(), config.port)).await?;
    ready(listener.local_addr()?);
    let shutdown = tokio::signal::ctrl_c();
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Out of file descriptors and the like: wait, do not spin or stop serving.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => return Ok(()),
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        let header_timeout = config.header_timeout;
        tokio::spawn(async move {
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(header_timeout);
            let connection = http.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            // Errors are the client's (a reset, a timeout): nothing to answer.
            let _ = tokio::time::timeout(CONNECTION_TIMEOUT, connection).await;
        });
    }
}

/// A client gets this long to send a request's headers (slowloris: trickled headers).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// And this long for a whole connection, so a body trickled a byte at a time (within the body
/// limit) cannot hold a connection for ever. Generous: a 10 MB analysis under load takes a
/// minute.
pub const CONNECTION_TIMEOUT: Duration = Duration::from_secs(300);

async fn index(State(state): State<Shared>) -> Html<String> {
    Html(render(&IndexPage {
        layout: state.layout(),
        error: String::new(),
    }))
}

async fn static_file(Path(name): Path<String>) -> Response {
    // A fixed table: no path is ever joined to a directory.
    match name.as_str() {
        "spinscope.css" => {
            ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS).into_response()
        }
        _ => (StatusCode::NOT_FOUND, "not found\n").into_response(),
    }
}

/// Analyses documents off the async threads; returns (report JSON, text) pairs.
async fn analyse(
    docs: Vec<Document>,
    annotator: Option<Arc<dyn Annotator>>,
    options: Options,
) -> Result<Vec<(Value, String)>, String> {
    tokio::task::spawn_blocking(move || {
        docs.into_iter()
            .map(|d| {
                // A failure of the learned tier leaves the rules' report; nothing to add here.
                let (report, _) = analyze_with(&d, &options, annotator.as_deref());
                (serde_json::to_value(&report).unwrap_or(Value::Null), d.text)
            })
            .collect()
    })
    .await
    .map_err(|e| format!("analysis failed: {e}"))
}

/// The documents of an uploaded or posted body: text, HTML, JSONL or WARC, told by content.
fn documents_of(name: &str, bytes: Vec<u8>, outlet: Option<&str>) -> Result<Vec<Document>, String> {
    let docs = ingest::documents(Input::from_reader(name, Cursor::new(bytes)))
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for d in docs {
        let mut doc = d.map_err(|e| e.to_string())?.document;
        if doc.outlet.is_none() {
            doc.outlet = outlet.map(str::to_string);
        }
        out.push(doc);
    }
    if out.is_empty() {
        return Err(format!("{name}: no documents"));
    }
    Ok(out)
}

fn error_page(state: &AppState, status: StatusCode, error: String) -> Response {
    let page = IndexPage {
        layout: state.layout(),
        error,
    };
    (status, Html(render(&page))).into_response()
}

async fn report_page(State(state): State<Shared>, mut form: Multipart) -> Response {
    let (mut text, mut file, mut outlet, mut all) = (String::new(), None, None, false);
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_string();
                let file_name = field.file_name().map(str::to_string);
                let bytes = match field.bytes().await {
                    Ok(b) => b,
                    Err(e) => return error_page(&state, e.status(), e.body_text()),
                };
                match name.as_str() {
                    "text" => text = String::from_utf8_lossy(&bytes).into_owned(),
                    "outlet" => {
                        outlet = Some(String::from_utf8_lossy(&bytes).trim().to_string())
                            .filter(|o| !o.is_empty())
                    }
                    // "Show every finding": the calibrated thresholds off, as `--all`.
                    "all" => all = !bytes.is_empty(),
                    "file" if !bytes.is_empty() => {
                        file = Some((file_name.unwrap_or_else(|| "upload".into()), bytes.to_vec()))
                    }
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(e) => return error_page(&state, e.status(), e.body_text()),
        }
    }
    let docs = match file {
        Some((name, bytes)) => documents_of(&name, bytes, outlet.as_deref()),
        None if !text.trim().is_empty() => {
            let mut doc = Document::from_text("pasted", text);
            doc.outlet = outlet;
            Ok(vec![doc])
        }
        None => Err("Paste a text or choose a file.".to_string()),
    };
    let docs = match docs {
        Ok(d) => d,
        Err(e) => return error_page(&state, StatusCode::UNPROCESSABLE_ENTITY, e),
    };
    let options = Options {
        all,
        ..Options::default()
    };
    match analyse(docs, state.annotator.clone(), options).await {
        Ok(reports) => Html(render(&ReportPage::new(state.layout(), &reports))).into_response(),
        Err(e) => error_page(&state, StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}

#[derive(Deserialize)]
struct AnalyzeRequest {
    text: String,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    outlet: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    published: Option<String>,
    /// Kind → least score shown, replacing the shipped thresholds (`--min-score`).
    #[serde(default)]
    min_score: std::collections::BTreeMap<String, f32>,
    /// Every finding, whatever its score (`--all`).
    #[serde(default)]
    all: bool,
}

fn api_error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

/// `POST /api/analyze`: JSON `{"text", "outlet"?, "title"?, "id"?, "published"?, "min_score"?:
/// {kind: p}, "all"?}`, or the raw text/HTML (JSONL and WARC too). One document gives its
/// report, several an array.
async fn api_analyze(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let json_body = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let mut options = Options::default();
    let docs = if json_body {
        match serde_json::from_slice::<AnalyzeRequest>(&body) {
            Ok(r) => {
                use spinscope_core::analyze::calibration::KINDS;
                if let Some((kind, p)) = r
                    .min_score
                    .iter()
                    .find(|(k, p)| !KINDS.contains(&k.as_str()) || !(0.0..=1.0).contains(*p))
                {
                    return api_error(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        format!(
                            "min_score: {kind}={p}: a kind is one of {} and a score between 0 and 1",
                            KINDS.join(", ")
                        ),
                    );
                }
                options.min_score = r.min_score.into_iter().collect();
                options.all = r.all;
                let mut doc = Document::from_text(r.id.unwrap_or_else(|| "request".into()), r.text);
                doc.outlet = r.outlet;
                doc.title = r.title;
                doc.published = r.published;
                Ok(vec![doc])
            }
            Err(e) => Err(format!("request body: {e}")),
        }
    } else {
        documents_of("request", body.to_vec(), None)
    };
    let docs = match docs {
        Ok(d) => d,
        Err(e) => return api_error(StatusCode::UNPROCESSABLE_ENTITY, e),
    };
    match analyse(docs, state.annotator.clone(), options).await {
        Ok(mut reports) if reports.len() == 1 => Json(reports.remove(0).0).into_response(),
        Ok(reports) => {
            Json(Value::Array(reports.into_iter().map(|r| r.0).collect())).into_response()
        }
        Err(e) => api_error(StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}

#[derive(Deserialize, Default)]
struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    outlet: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    limit: Option<usize>,
}

/// Runs `work` on the corpus off the async threads.
async fn with_corpus<T: Send + 'static>(
    state: &Shared,
    work: impl FnOnce(&Corpus) -> Result<T, String> + Send + 'static,
) -> Result<T, (StatusCode, String)> {
    if state.corpus.is_none() {
        return Err((
            StatusCode::NOT_FOUND,
            "no corpus: start the server with --db DB".into(),
        ));
    }
    let state = Arc::clone(state);
    tokio::task::spawn_blocking(move || {
        let Some(lock) = &state.corpus else {
            return Err("no corpus".to_string());
        };
        let corpus = lock
            .lock()
            .map_err(|_| "corpus lock poisoned".to_string())?;
        work(&corpus)
    })
    .await
    .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
    .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e))
}

fn filter_of(q: &SearchQuery) -> Filter {
    let some = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    Filter {
        outlet: some(&q.outlet),
        lang: some(&q.lang),
    }
}

async fn api_search(State(state): State<Shared>, Query(q): Query<SearchQuery>) -> Response {
    let filter = filter_of(&q);
    let limit = q.limit.unwrap_or(10).min(1000);
    let query = q.q.clone();
    match with_corpus(&state, move |c| c.search(&query, &filter, limit).map_err(|e| e.to_string())).await {
        Ok(hits) => Json(json!({ "hits": hits.iter().map(spinscope_corpus::index::hit_json).collect::<Vec<_>>() })).into_response(),
        Err((status, e)) => api_error(status, e),
    }
}

async fn search_page(State(state): State<Shared>, Query(q): Query<SearchQuery>) -> Response {
    let filter = filter_of(&q);
    let query = q.q.clone();
    let searched = !query.trim().is_empty();
    let result = if searched {
        with_corpus(&state, move |c| {
            c.search(&query, &filter, 50).map_err(|e| e.to_string())
        })
        .await
    } else if state.corpus.is_none() {
        Err((
            StatusCode::NOT_FOUND,
            "no corpus: start the server with --db DB".into(),
        ))
    } else {
        Ok(Vec::new())
    };
    let (status, hits, error) = match result {
        Ok(hits) => (
            StatusCode::OK,
            hits.iter().map(HitView::new).collect(),
            String::new(),
        ),
        Err((status, e)) => (status, Vec::new(), e),
    };
    let page = SearchPage {
        layout: state.layout(),
        query: q.q,
        outlet: q.outlet,
        lang: q.lang,
        searched,
        error,
        hits,
    };
    (status, Html(render(&page))).into_response()
}

#[derive(Deserialize, Default)]
struct TrendsQuery {
    #[serde(default)]
    by: Option<String>,
}

async fn trends_page(State(state): State<Shared>, Query(q): Query<TrendsQuery>) -> Response {
    let by = if q.by.as_deref() == Some("outlet") {
        By::Outlet
    } else {
        By::Month
    };
    match with_corpus(&state, move |c| {
        trends::trends(&c.store, by).map_err(|e| e.to_string())
    })
    .await
    {
        Ok(rows) => Html(render(&TrendsPage::new(state.layout(), &rows))).into_response(),
        Err((status, e)) => error_page(&state, status, e),
    }
}

async fn reuse_page(State(state): State<Shared>) -> Response {
    let shared = Arc::clone(&state);
    let result = with_corpus(&state, move |c| {
        let found = shared.clusters.get_or_init(|| {
            reuse::clusters(c, &ReuseOptions::default())
                .map(|(clusters, s)| {
                    let summary = format!(
                        "{} clusters among {} documents ({} candidate pairs, {} confirmed).",
                        s.clusters, s.documents, s.candidate_pairs, s.verified_pairs
                    );
                    (clusters, summary)
                })
                .map_err(|e| e.to_string())
        });
        let (clusters, summary) = found.clone()?;
        let views = clusters
            .iter()
            .take(200)
            .map(|cl| {
                ClusterView::new(cl, |key| {
                    c.store.text(key).ok().flatten().unwrap_or_default()
                })
            })
            .collect();
        Ok((views, summary))
    })
    .await;
    match result {
        Ok((clusters, summary)) => Html(render(&ReusePage {
            layout: state.layout(),
            summary,
            clusters,
        }))
        .into_response(),
        Err((status, e)) => error_page(&state, status, e),
    }
}

async fn document_page(State(state): State<Shared>, Path(key): Path<i64>) -> Response {
    let result = with_corpus(&state, move |c| {
        c.store.stored_report(key).map_err(|e| e.to_string())
    })
    .await;
    match result {
        Ok(Some((meta, text, summary, findings))) => {
            let report = json!({
                "document": {
                    "id": meta.id, "title": meta.title, "outlet": meta.outlet,
                    "published": meta.published, "url": meta.url, "author": meta.author,
                    "lang": meta.lang, "chars": text.chars().count(),
                },
                "summary": serde_json::from_str::<Value>(&summary).unwrap_or(Value::Null),
                "findings": serde_json::from_str::<Value>(&findings).unwrap_or(Value::Null),
            });
            Html(render(&ReportPage::new(state.layout(), &[(report, text)]))).into_response()
        }
        Ok(None) => error_page(&state, StatusCode::NOT_FOUND, format!("no document {key}")),
        Err((status, e)) => error_page(&state, status, e),
    }
}
