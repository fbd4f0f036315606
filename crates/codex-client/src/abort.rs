//! Stopping running requests from another task.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::Weak;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering;
use std::task::Context;
use std::task::Poll;
use std::task::Waker;

/// A handle that stops the requests and streams started with it (see
/// [`crate::RequestOptions::abort_handle`]). Cheap to clone; `Send + Sync`.
///
/// [`abort`](AbortHandle::abort) stops everything that is running with this handle at that
/// moment: a pending request fails with [`crate::ErrorKind::Aborted`], and a stream yields that
/// error on its next poll (the task is woken) and then ends; the text received so far stays
/// available through [`crate::ResponseStream::received_text`] and
/// [`crate::Error::partial_text`]. Aborting when nothing runs is a no-op: requests started
/// later with the same handle are not affected.
#[derive(Clone, Default)]
pub struct AbortHandle {
    inner: Arc<Registry>,
}

#[derive(Default)]
struct Registry {
    slots: Mutex<Vec<Weak<Slot>>>,
}

/// The per-request side of an abort registration.
#[derive(Default)]
pub(crate) struct Slot {
    aborted: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl std::fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AbortHandle")
            .field("active", &self.active())
            .finish()
    }
}

impl AbortHandle {
    /// A new handle with nothing registered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stops every request and stream currently running with this handle. A no-op when none
    /// runs.
    pub fn abort(&self) {
        let slots = match self.inner.slots.lock() {
            Ok(mut g) => std::mem::take(&mut *g),
            Err(p) => std::mem::take(&mut *p.into_inner()),
        };
        for slot in slots.iter().filter_map(Weak::upgrade) {
            slot.fire();
        }
    }

    /// The number of requests and streams currently running with this handle.
    pub fn active(&self) -> usize {
        match self.inner.slots.lock() {
            Ok(g) => g.iter().filter(|w| w.strong_count() > 0).count(),
            Err(_) => 0,
        }
    }

    pub(crate) fn register(&self, slot: &Arc<Slot>) {
        let mut g = match self.inner.slots.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        // Drop registrations of finished requests so the list stays bounded.
        g.retain(|w| w.strong_count() > 0);
        g.push(Arc::downgrade(slot));
    }
}

impl Slot {
    pub(crate) fn new_registered<'a>(
        handles: impl IntoIterator<Item = &'a AbortHandle>,
    ) -> Arc<Self> {
        let slot = Arc::new(Self::default());
        for h in handles {
            h.register(&slot);
        }
        slot
    }

    fn fire(&self) {
        self.aborted.store(true, Ordering::SeqCst);
        let waker = match self.waker.lock() {
            Ok(mut g) => g.take(),
            Err(p) => p.into_inner().take(),
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    pub(crate) fn is_aborted(&self) -> bool {
        self.aborted.load(Ordering::SeqCst)
    }

    /// Ready once aborted; otherwise stores the waker.
    pub(crate) fn poll_aborted(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.is_aborted() {
            return Poll::Ready(());
        }
        {
            let mut g = match self.waker.lock() {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
            match &*g {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => *g = Some(cx.waker().clone()),
            }
        }
        // Re-check: `fire` may have run between the first check and storing the waker.
        if self.is_aborted() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    pub(crate) fn aborted(self: &Arc<Self>) -> Aborted {
        Aborted { slot: self.clone() }
    }
}

/// Future resolving when the slot is aborted.
pub(crate) struct Aborted {
    slot: Arc<Slot>,
}

impl Future for Aborted {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.slot.poll_aborted(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abort_without_active_is_noop() {
        let h = AbortHandle::new();
        h.abort();
        let slot = Slot::new_registered([&h]);
        assert!(!slot.is_aborted());
        assert_eq!(h.active(), 1);
        h.abort();
        assert!(slot.is_aborted());
        let later = Slot::new_registered([&h]);
        assert!(!later.is_aborted());
        drop(later);
        assert_eq!(h.active(), 0);
    }

    #[tokio::test]
    async fn abort_wakes_a_waiting_task() {
        let h = AbortHandle::new();
        let slot = Slot::new_registered([&h]);
        let waiter = tokio::spawn(async move { slot.aborted().await });
        tokio::task::yield_now().await;
        h.abort();
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .expect("woken")
            .expect("joined");
    }
}
