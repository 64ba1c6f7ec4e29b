//! End-to-end tests of the mock pair over real loopback HTTP (one test binary, many modules,
//! so the 2-core CI links once).

mod common;

mod as_a;
mod as_b;
mod bad_input;
mod config;
mod ena;
mod faults;
mod fuzz;
mod happy;
mod rfc8693;
mod rs;
