//! `inbox`: see `inbox --help`.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match inbox::cli::run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One clear line: the error and its causes.
            eprintln!("inbox: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
