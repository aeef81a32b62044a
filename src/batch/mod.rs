//! batch — (in progress)
