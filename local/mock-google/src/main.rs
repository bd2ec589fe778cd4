//! `mock-google --listen 127.0.0.1:0 --config local/mock-google/accounts.json`
//!
//! Prints `mock-google listening on http://HOST:PORT` on stdout once it accepts connections;
//! request logs go to stderr (`RUST_LOG`, `MOCK_GOOGLE_LOG_FORMAT=json`). Stops on SIGINT/SIGTERM.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use mock_google::{MockConfig, MockGoogle};

const USAGE: &str = "usage: mock-google [--listen ADDR:PORT] [--config accounts.json]\n\
  --listen  address to bind (default 127.0.0.1:0, a free port)\n\
  --config  accounts/client JSON (default: the built-in demo accounts)";

struct Args {
    listen: SocketAddr,
    config: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    init_logging();
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("mock-google: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("mock-google: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let config = match &args.config {
        Some(path) => MockConfig::from_json_file(path).map_err(|e| e.to_string())?,
        None => MockConfig::demo(),
    };
    let google = MockGoogle::start(config, args.listen)
        .await
        .map_err(|e| e.to_string())?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "mock-google listening on {}", google.base_url())
        .and_then(|()| stdout.flush())
        .map_err(|e| format!("cannot write to stdout: {e}"))?;
    drop(stdout);
    wait_for_stop_signal().await?;
    tracing::info!("stopping");
    google.shutdown().await;
    Ok(())
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        config: None,
    };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--listen" => {
                let text = value()?;
                parsed.listen = text
                    .parse()
                    .map_err(|_| format!("--listen {text:?} is not an IP:PORT address"))?;
            }
            "--config" => parsed.config = Some(PathBuf::from(value()?)),
            "-h" | "--help" => return Err("help requested".into()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(parsed)
}

async fn wait_for_stop_signal() -> Result<(), String> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term =
        signal(SignalKind::terminate()).map_err(|e| format!("cannot watch SIGTERM: {e}"))?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result.map_err(|e| format!("cannot watch SIGINT: {e}")),
        _ = term.recv() => Ok(()),
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("MOCK_GOOGLE_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().init();
    } else {
        builder.init();
    }
}
