use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = casebook::cli::Cli::parse();
    match casebook::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // A reader that stops early (`casebook due | head`) is not a failure.
        Err(e) if is_broken_pipe(&e) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // `{:#}` prints the whole chain of context on one line: what failed and why.
            eprintln!("casebook: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
