//! The files a run reads and writes, below every stage: one reader for everything that
//! comes from outside (`input.rs`: bounded, no link followed, errors with file:line:col) and
//! one writer for everything phoenix leaves behind (`output/`: atomic, inside the folder it
//! belongs to, never over an earlier report).

pub mod escape;
pub mod input;
pub mod output;
