//! stream — (in progress)
