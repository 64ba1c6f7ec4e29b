//! Property-based fuzzing of token-request parameters (owned by the fuzz work).
