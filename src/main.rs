//! The `atchat` binary: everything is in the library's `cli` module.

fn main() -> std::process::ExitCode {
    atchat::cli::main()
}
