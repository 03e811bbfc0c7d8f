fn main() {
    eprintln!("tracery: no commands yet");
    std::process::exit(2);
}
