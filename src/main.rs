//! `inbox`: see `inbox --help`.

/// The webhook path builds and drops many small JSON trees across threads; glibc's allocator spent a fifth
/// of the machine on them under load (`bench/RESULTS.md`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
