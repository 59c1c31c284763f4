//! The lifecycle stream of the process backend: one sender shared by every instance's
//! waiter task, replaced by each `watch()` and closed by the teardown.

use crate::backend::RawLifecycle;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

#[derive(Clone, Default)]
pub(super) struct Events(Arc<Mutex<Option<mpsc::UnboundedSender<RawLifecycle>>>>);

impl Events {
    /// Delivers `e` to the current watcher, if any.
    pub fn send(&self, e: RawLifecycle) {
        if let Some(tx) = self.0.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            let _ = tx.send(e);
        }
    }

    /// A new stream; the previous one ends.
    pub fn watch(&self) -> mpsc::UnboundedReceiver<RawLifecycle> {
        let (tx, rx) = mpsc::unbounded_channel();
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(tx);
        rx
    }

    /// Ends the stream (events of the teardown's own kills are not the run's).
    pub fn close(&self) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take();
    }
}
