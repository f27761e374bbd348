//! The spawn queue: a fair FIFO in front of `concurrent_spawn_limit` and `active_server_limit`.
//!
//! JupyterHub answers 429 when too many servers are starting; here the request waits its turn
//! and sees its position. A slot is held from the start until the server is ready or failed
//! (`starting`), and counts toward the active limit until the server stops.

use std::collections::VecDeque;
use std::sync::Mutex;

use ganymede_db::ServerId;
use tokio::sync::oneshot;

/// The queue is full: `spawn_queue_limit` requests already wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct QueueFull {
    pub(crate) waiting: usize,
}

/// The limits, 0 meaning none.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct QueueLimits {
    pub(crate) concurrent: usize,
    pub(crate) active: usize,
    pub(crate) waiting: usize,
}

#[derive(Debug, Default)]
struct Counts {
    /// Servers between their turn and ready/failed.
    starting: usize,
    /// Servers started and not yet stopped (starting ones included).
    active: usize,
    waiting: VecDeque<(ServerId, oneshot::Sender<()>)>,
}

/// What [`SpawnQueue::enter`] gives back.
#[derive(Debug)]
pub(crate) enum Turn {
    /// Start now.
    Now,
    /// Wait for the receiver; [`SpawnQueue::position`] tells where it stands.
    Wait(oneshot::Receiver<()>),
}

/// The queue and its counters.
#[derive(Debug)]
pub(crate) struct SpawnQueue {
    limits: QueueLimits,
    counts: Mutex<Counts>,
}

impl SpawnQueue {
    pub(crate) fn new(limits: QueueLimits) -> Self {
        Self {
            limits,
            counts: Mutex::default(),
        }
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        // Every update is a few integer and deque operations that cannot panic halfway.
        self.counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn has_room(&self, counts: &Counts) -> bool {
        let fits = |limit: usize, used: usize| limit == 0 || used < limit;
        fits(self.limits.concurrent, counts.starting) && fits(self.limits.active, counts.active)
    }

    /// Asks for a turn to start `server`; first come, first served.
    pub(crate) fn enter(&self, server: ServerId) -> Result<Turn, QueueFull> {
        let mut counts = self.counts();
        if counts.waiting.is_empty() && self.has_room(&counts) {
            counts.starting += 1;
            counts.active += 1;
            return Ok(Turn::Now);
        }
        if self.limits.waiting != 0 && counts.waiting.len() >= self.limits.waiting {
            return Err(QueueFull {
                waiting: counts.waiting.len(),
            });
        }
        let (tx, rx) = oneshot::channel();
        counts.waiting.push_back((server, tx));
        Ok(Turn::Wait(rx))
    }

    /// `server`'s place in line (1 is next) and the length of the line.
    pub(crate) fn position(&self, server: ServerId) -> Option<(usize, usize)> {
        let counts = self.counts();
        counts
            .waiting
            .iter()
            .position(|(id, _)| *id == server)
            .map(|i| (i + 1, counts.waiting.len()))
    }

    /// How many wait, and how many are starting.
    pub(crate) fn lengths(&self) -> (usize, usize) {
        let counts = self.counts();
        (counts.waiting.len(), counts.starting)
    }

    /// A start finished: ready (`still_active`) or failed.
    pub(crate) fn started(&self, still_active: bool) {
        let mut counts = self.counts();
        counts.starting = counts.starting.saturating_sub(1);
        if !still_active {
            counts.active = counts.active.saturating_sub(1);
        }
        self.admit(&mut counts);
    }

    /// A spawn was interrupted: it leaves the line if it still waits there (true), otherwise
    /// it had its turn and gives its slot back.
    pub(crate) fn leave(&self, server: ServerId) -> bool {
        let mut counts = self.counts();
        if let Some(i) = counts.waiting.iter().position(|(id, _)| *id == server) {
            counts.waiting.remove(i);
            return true;
        }
        counts.starting = counts.starting.saturating_sub(1);
        counts.active = counts.active.saturating_sub(1);
        self.admit(&mut counts);
        false
    }

    /// A running server stopped.
    pub(crate) fn stopped(&self) {
        let mut counts = self.counts();
        counts.active = counts.active.saturating_sub(1);
        self.admit(&mut counts);
    }

    /// Counts a server found running at startup.
    pub(crate) fn adopt(&self) {
        self.counts().active += 1;
    }

    fn admit(&self, counts: &mut Counts) {
        while self.has_room(counts) {
            let Some((_, turn)) = counts.waiting.pop_front() else {
                return;
            };
            // A receiver that is gone belongs to a request that gave up: skip it.
            if turn.send(()).is_ok() {
                counts.starting += 1;
                counts.active += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait(turn: Turn) -> oneshot::Receiver<()> {
        match turn {
            Turn::Wait(rx) => rx,
            Turn::Now => panic!("expected to wait"),
        }
    }

    #[test]
    fn first_come_first_served_with_positions() {
        let queue = SpawnQueue::new(QueueLimits {
            concurrent: 2,
            ..QueueLimits::default()
        });
        assert!(matches!(queue.enter(ServerId(1)), Ok(Turn::Now)));
        assert!(matches!(queue.enter(ServerId(2)), Ok(Turn::Now)));
        let mut third = wait(queue.enter(ServerId(3)).unwrap());
        let mut fourth = wait(queue.enter(ServerId(4)).unwrap());
        assert_eq!(queue.position(ServerId(3)), Some((1, 2)));
        assert_eq!(queue.position(ServerId(4)), Some((2, 2)));
        queue.started(true);
        assert!(third.try_recv().is_ok());
        assert!(fourth.try_recv().is_err());
        assert_eq!(queue.position(ServerId(4)), Some((1, 1)));
        queue.started(false);
        assert!(fourth.try_recv().is_ok());
        assert_eq!(queue.lengths(), (0, 2));
    }

    #[test]
    fn the_active_limit_waits_for_a_stop_and_the_line_is_bounded() {
        let queue = SpawnQueue::new(QueueLimits {
            active: 1,
            waiting: 1,
            ..QueueLimits::default()
        });
        assert!(matches!(queue.enter(ServerId(1)), Ok(Turn::Now)));
        queue.started(true);
        let mut second = wait(queue.enter(ServerId(2)).unwrap());
        assert_eq!(
            queue.enter(ServerId(3)).unwrap_err(),
            QueueFull { waiting: 1 }
        );
        assert!(second.try_recv().is_err());
        queue.stopped();
        assert!(second.try_recv().is_ok());
    }

    #[test]
    fn an_interrupted_spawn_leaves_the_line_or_gives_its_slot_back() {
        let queue = SpawnQueue::new(QueueLimits {
            concurrent: 1,
            ..QueueLimits::default()
        });
        assert!(matches!(queue.enter(ServerId(1)), Ok(Turn::Now)));
        let _second = wait(queue.enter(ServerId(2)).unwrap());
        let mut third = wait(queue.enter(ServerId(3)).unwrap());
        assert!(queue.leave(ServerId(2)));
        assert_eq!(queue.position(ServerId(3)), Some((1, 1)));
        assert!(!queue.leave(ServerId(1)));
        assert!(third.try_recv().is_ok());
        assert_eq!(queue.lengths(), (0, 1));
    }

    #[test]
    fn a_request_that_left_is_skipped() {
        let queue = SpawnQueue::new(QueueLimits {
            concurrent: 1,
            ..QueueLimits::default()
        });
        assert!(matches!(queue.enter(ServerId(1)), Ok(Turn::Now)));
        drop(wait(queue.enter(ServerId(2)).unwrap()));
        let mut third = wait(queue.enter(ServerId(3)).unwrap());
        queue.started(true);
        assert!(third.try_recv().is_ok());
    }
}
