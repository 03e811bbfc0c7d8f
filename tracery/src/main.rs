//! The `tracery` command. Each subcommand lives in its own file under `cli/`.

mod cli;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(cli::main(&args));
}
