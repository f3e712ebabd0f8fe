//! A bounded broadcast bus. A slow subscriber falls behind and is told how
//! many events it missed; it never slows the publisher.

use std::sync::Arc;

use tokio::sync::broadcast;

use crate::Event;

/// Fan-out of events to any number of subscribers.
#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Arc<Event>>,
}

/// One subscriber's end of the bus.
pub struct Subscription {
    rx: broadcast::Receiver<Arc<Event>>,
}

/// What a subscriber receives next.
#[derive(Debug)]
pub enum Received {
    /// The next event.
    Event(Arc<Event>),
    /// The subscriber fell behind and this many events were dropped for it.
    Lagged(u64),
    /// The bus was closed.
    Closed,
}

impl EventBus {
    /// A bus that buffers up to `capacity` events per subscriber.
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity.max(1));
        EventBus { tx }
    }

    /// Publishes an event; returns how many subscribers will see it.
    pub fn publish(&self, event: Event) -> usize {
        self.tx.send(Arc::new(event)).unwrap_or(0)
    }

    /// A new subscription that sees events published from now on.
    pub fn subscribe(&self) -> Subscription {
        Subscription {
            rx: self.tx.subscribe(),
        }
    }
}

impl Subscription {
    /// Waits for the next event.
    pub async fn recv(&mut self) -> Received {
        match self.rx.recv().await {
            Ok(e) => Received::Event(e),
            Err(broadcast::error::RecvError::Lagged(n)) => Received::Lagged(n),
            Err(broadcast::error::RecvError::Closed) => Received::Closed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deleted(id: &str) -> Event {
        Event::TwinDeleted {
            twin_id: id.into(),
            model: "dtmi:x;1".into(),
        }
    }

    #[tokio::test]
    async fn slow_subscriber_is_told_how_many_it_missed() {
        let bus = EventBus::new(2);
        let mut sub = bus.subscribe();
        for i in 0..5 {
            bus.publish(deleted(&i.to_string()));
        }
        match sub.recv().await {
            Received::Lagged(n) => assert_eq!(n, 3),
            other => panic!("expected a lag notice, got {other:?}"),
        }
        match sub.recv().await {
            Received::Event(e) => assert_eq!(e.twin_id(), "3"),
            other => panic!("expected event 3, got {other:?}"),
        }
    }
}
