//! `alb-emulator --config FILE`: prints one ready line per listener, runs until SIGINT/SIGTERM.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use alb_emulator::{Config, start};

fn config_path() -> Result<PathBuf, String> {
    let mut args = std::env::args().skip(1);
    match (args.next().as_deref(), args.next(), args.next()) {
        (Some("--config"), Some(path), None) => Ok(PathBuf::from(path)),
        _ => Err("usage: alb-emulator --config FILE".into()),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("alb-emulator: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let path = config_path()?;
    let config = Config::from_file(&path).map_err(|e| e.to_string())?;
    let running = start(config).await.map_err(|e| e.to_string())?;
    {
        // Launchers wait for exactly these lines on stdout.
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "alb-emulator listening on http://{}",
            running.listen_addr
        )
        .and_then(|_| {
            writeln!(
                out,
                "alb-emulator public keys on http://{}",
                running.public_keys_addr
            )
        })
        .and_then(|_| out.flush())
        .map_err(|e| format!("cannot write to stdout: {e}"))?;
    }
    wait_for_signal().await?;
    tracing::info!("signal received, shutting down");
    running.shutdown().await;
    Ok(())
}

async fn wait_for_signal() -> Result<(), String> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).map_err(|e| format!("SIGTERM handler: {e}"))?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| format!("SIGINT handler: {e}"))?;
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    Ok(())
}
