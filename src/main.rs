fn main() {
    std::process::exit(chainproof::exit::OK);
}
