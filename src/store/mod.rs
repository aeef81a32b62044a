//! store — (in progress)
