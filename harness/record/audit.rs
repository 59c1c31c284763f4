//! What the statelessness audit read during a trial: each instance's own filesystem
//! changes at known instants, and the same idempotent requests sent to a replica before it
//! was replaced and to its fresh instance after. Raw; `analysis::audit` judges them.

use serde::{Deserialize, Serialize};

/// When an instance's filesystem changes were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FsReadWhen {
    /// Right after the deployment became healthy, before any request: everything present
    /// was written at boot.
    Boot,
    /// A replacement instance, right after it became healthy. The load already reaches it,
    /// so only the paths some instance also wrote at its deployment boot count as boot
    /// writes; anything else present was written while serving.
    FreshBoot,
    /// The instance was replaced or scaled down: read on the dead container before removal.
    Replaced,
    /// At the end of the trial, on the instance still serving.
    End,
}

/// One read of the files an instance added or changed in its own filesystem (volumes
/// excluded): leaves only, directories left out where the backend could tell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FsRead {
    /// When it was read, µs on the trial clock.
    pub at_us: i64,
    pub when: FsReadWhen,
    pub files: Vec<FsFile>,
    /// More paths changed than a read keeps ([`crate::backend::MAX_FS_FILES`]).
    #[serde(default)]
    pub(crate) truncated: bool,
}

/// A file an instance wrote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FsFile {
    pub path: String,
    /// Its size in bytes; None when it was not read (past the bound of stat calls).
    pub bytes: Option<u64>,
}

/// What a replica answered to one sample request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    /// None: no answer (the error says why).
    pub status: Option<u16>,
    /// Body length read, bytes (reading stops at [`crate::backend::MAX_SAMPLE_BODY`]).
    pub(crate) body_bytes: u64,
    /// The body as text, at most [`crate::backend::MAX_SAMPLE_TEXT`] bytes; compared whole
    /// (JSON without the volatile fields) when `complete`.
    pub text: String,
    /// `text` is the whole body.
    pub complete: bool,
    /// FNV-1a hash of the body read, compared when the text is not complete.
    pub(crate) hash: u64,
    pub error: Option<String>,
}

/// The same request sent to a replica before a replacement and to the fresh instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FreshPair {
    pub replica: String,
    /// The fault it went around, in words (`kill app-0 then replace`).
    pub fault: String,
    /// `METHOD path`.
    pub request: String,
    pub before: Reply,
    pub after: Reply,
    /// When the fresh instance was asked, µs on the trial clock.
    pub(crate) after_us: i64,
}
