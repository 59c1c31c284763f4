//! One direction of a proxied connection: chunks read from one socket are written to the
//! other, through the toxics of that direction, with Toxiproxy's semantics. With no toxic
//! that touches data, a chunk is written as soon as it is read, from the same buffer: no
//! channel, no copy, no timer (the proxy's own cost is the point of the fast path).

use crate::toxic::{Direction, Kind, Toxic};
use bytes::Bytes;
use std::collections::VecDeque;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;
use tokio::time::{sleep_until, Duration, Instant};

/// How a direction ended, and so how the connection ends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Ending {
    /// The source closed; the close was passed on. The other direction goes on.
    Eof,
    /// Close both sockets now (an I/O error, a timeout or limit_data toxic, a stop).
    Close,
    /// Reset both sockets (reset_peer): SO_LINGER 0, so the close sends an RST.
    Reset,
}

/// The read size: Go's io.Copy buffer, as Toxiproxy reads.
const READ_SIZE: usize = 32 * 1024;
/// Toxiproxy's latency toxic buffers 1024 chunks; past that, reading waits.
const QUEUE_LIMIT: usize = 1024;

/// A toxic as it applies to this direction of one connection, with its state.
struct Applied {
    toxic: Toxic,
    /// The toxicity, drawn once when the toxic took effect on this connection.
    on: bool,
    since: Instant,
    /// bandwidth: when the pacer is free for the next bytes.
    free_at: Instant,
    /// limit_data: the bytes passed so far.
    passed: u64,
    /// reset_peer: when the reset is due, once a first chunk has come.
    reset_at: Option<Instant>,
}

pub type ToxicList = Arc<[Toxic]>;

pub struct Pump<R, W> {
    src: R,
    dst: W,
    stream: Direction,
    toxics: watch::Receiver<ToxicList>,
    applied: Vec<Applied>,
    /// Chunks held by the toxics, each with the time it is due out.
    queue: VecDeque<(Instant, Bytes)>,
    buf: Box<[u8]>,
    /// limit_data reached: close once the queue is out.
    close_when_flushed: bool,
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

impl<R: AsyncRead + Unpin, W: AsyncWrite + Unpin> Pump<R, W> {
    pub fn new(src: R, dst: W, stream: Direction, toxics: watch::Receiver<ToxicList>) -> Self {
        Pump {
            src,
            dst,
            stream,
            toxics,
            applied: Vec::new(),
            queue: VecDeque::new(),
            buf: vec![0; READ_SIZE].into_boxed_slice(),
            close_when_flushed: false,
        }
    }

    pub async fn run(mut self) -> Ending {
        self.refresh();
        loop {
            if self.close_when_flushed && self.queue.is_empty() {
                return Ending::Close;
            }
            let deadline = self.next_deadline();
            let can_read = self.queue.len() < QUEUE_LIMIT;
            // no timer is made while there is no deadline (the fast path's case)
            let timer = async {
                match deadline {
                    Some(at) => sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = timer, if deadline.is_some() => {
                    if let Some(end) = self.on_timer().await {
                        return end;
                    }
                }
                changed = self.toxics.changed() => match changed {
                    Ok(()) => self.refresh(),
                    // the proxy is gone
                    Err(_) => return Ending::Close,
                },
                read = self.src.read(&mut self.buf), if can_read => match read {
                    Ok(0) => return self.finish().await,
                    Ok(n) => {
                        if let Some(end) = self.on_chunk(n).await {
                            return end;
                        }
                    }
                    Err(_) => return Ending::Close,
                },
            }
        }
    }

    /// Takes the proxy's current toxics for this direction. One that was already in
    /// effect keeps its draw and its state; a new one is drawn now.
    fn refresh(&mut self) {
        let list = self.toxics.borrow_and_update().clone();
        let now = Instant::now();
        let mut old = std::mem::take(&mut self.applied);
        for toxic in list.iter().filter(|t| t.stream == self.stream) {
            let kept = old.iter().position(|a| a.toxic == *toxic).map(|i| old.swap_remove(i));
            self.applied.push(kept.unwrap_or_else(|| Applied {
                on: rand::random::<f32>() < toxic.toxicity,
                toxic: toxic.clone(),
                since: now,
                free_at: now,
                passed: 0,
                reset_at: None,
            }));
        }
        // limit_data with nothing left to pass closes at once, as in Toxiproxy
        let spent = |a: &Applied| matches!(a.toxic.kind, Kind::LimitData { bytes } if a.passed >= bytes);
        if self.active().any(spent) {
            self.close_when_flushed = true;
        }
    }

    fn active(&self) -> impl Iterator<Item = &Applied> {
        self.applied.iter().filter(|a| a.on)
    }

    /// The first of: the head of the queue due out, a timeout's close, a reset.
    fn next_deadline(&self) -> Option<Instant> {
        let timers = self.active().filter_map(|a| match a.toxic.kind {
            Kind::Timeout { timeout } if timeout > 0 => Some(a.since + ms(timeout)),
            Kind::ResetPeer { .. } => a.reset_at,
            _ => None,
        });
        self.queue.front().map(|(due, _)| *due).into_iter().chain(timers).min()
    }

    async fn on_timer(&mut self) -> Option<Ending> {
        let now = Instant::now();
        for a in self.active() {
            match a.toxic.kind {
                Kind::Timeout { timeout } if timeout > 0 && a.since + ms(timeout) <= now => return Some(Ending::Close),
                Kind::ResetPeer { .. } if a.reset_at.is_some_and(|at| at <= now) => return Some(Ending::Reset),
                _ => {}
            }
        }
        self.flush_due().await
    }

    /// A chunk of `n` bytes in the buffer: written now, or handed to the toxics.
    async fn on_chunk(&mut self, n: usize) -> Option<Ending> {
        let touches_data = self.active().any(|a| !matches!(a.toxic.kind, Kind::SlowClose { .. }));
        if !touches_data && self.queue.is_empty() {
            return self.dst.write_all(&self.buf[..n]).await.err().map(|_| Ending::Close);
        }
        let now = Instant::now();
        let mut pieces = vec![(now, Bytes::copy_from_slice(&self.buf[..n]))];
        for a in self.applied.iter_mut().filter(|a| a.on) {
            pieces = a.apply(pieces, now, &mut self.close_when_flushed);
        }
        self.queue.extend(pieces);
        self.flush_due().await
    }

    /// Writes the queued chunks that are due.
    async fn flush_due(&mut self) -> Option<Ending> {
        while self.queue.front().is_some_and(|(due, _)| *due <= Instant::now()) {
            let (_, data) = self.queue.pop_front()?;
            if self.dst.write_all(&data).await.is_err() {
                return Some(Ending::Close);
            }
        }
        None
    }

    /// The source closed: what the toxics hold goes out on time, then the close is
    /// passed on (late, by slow_close's delays).
    async fn finish(&mut self) -> Ending {
        while let Some((due, data)) = self.queue.pop_front() {
            sleep_until(due).await;
            if self.dst.write_all(&data).await.is_err() {
                return Ending::Close;
            }
        }
        let delay: u64 = self
            .active()
            .filter_map(|a| match a.toxic.kind {
                Kind::SlowClose { delay } => Some(delay),
                _ => None,
            })
            .sum();
        if delay > 0 {
            tokio::time::sleep(ms(delay)).await;
        }
        let _ = self.dst.shutdown().await;
        Ending::Eof
    }
}

impl Applied {
    /// The toxic's effect on a chunk's pieces, each with its due time (Toxiproxy's
    /// per-chunk semantics; the toxics act in the order they were added).
    fn apply(&mut self, pieces: Vec<(Instant, Bytes)>, now: Instant, close: &mut bool) -> Vec<(Instant, Bytes)> {
        match self.toxic.kind {
            Kind::Latency { latency, jitter } => {
                let delay = jittered(latency, jitter);
                pieces.into_iter().map(|(due, b)| (due + delay, b)).collect()
            }
            Kind::Bandwidth { rate } if rate > 0 => self.pace(pieces, rate),
            Kind::Bandwidth { .. } | Kind::SlowClose { .. } => pieces,
            // timeout drops what comes; reset_peer drops it and resets after its timeout
            Kind::Timeout { .. } => Vec::new(),
            Kind::ResetPeer { timeout } => {
                self.reset_at.get_or_insert(now + ms(timeout));
                Vec::new()
            }
            Kind::LimitData { bytes } => {
                let mut kept = Vec::new();
                for (due, mut b) in pieces {
                    let left = bytes.saturating_sub(self.passed);
                    b.truncate(usize::try_from(left).unwrap_or(usize::MAX));
                    self.passed += b.len() as u64;
                    if !b.is_empty() {
                        kept.push((due, b));
                    }
                }
                *close |= self.passed >= bytes;
                kept
            }
        }
    }

    /// bandwidth: `rate` KB/s, in slices of at most 100 ms of it (Toxiproxy sends a large
    /// chunk as rate*100-byte pieces, 100 ms apart).
    fn pace(&mut self, pieces: Vec<(Instant, Bytes)>, rate: u64) -> Vec<(Instant, Bytes)> {
        let slice = usize::try_from(rate.saturating_mul(100)).unwrap_or(usize::MAX);
        let mut out = Vec::new();
        for (due, mut b) in pieces {
            while !b.is_empty() {
                let part = b.split_to(slice.min(b.len()));
                // len bytes at rate KB/s take len/rate ms
                let takes = Duration::from_micros(part.len() as u64 * 1000 / rate);
                self.free_at = self.free_at.max(due) + takes;
                out.push((self.free_at, part));
            }
        }
        out
    }
}

/// latency ± up to jitter ms, uniformly, never below zero.
fn jittered(latency: u64, jitter: u64) -> Duration {
    if jitter == 0 {
        return ms(latency);
    }
    let offset = rand::random_range(0..=2 * jitter) as i64 - jitter as i64;
    ms(latency.saturating_add_signed(offset))
}
