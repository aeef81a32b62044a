//! grammar — (in progress)
