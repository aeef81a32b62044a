//! ring — (in progress)
