//! channels — (in progress)
