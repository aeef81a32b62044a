//! space — (in progress)
