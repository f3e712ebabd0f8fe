//! A bounded broadcast bus with durable recorders in front. Recorders keep
//! every event before it is acknowledged; broadcast subscribers may fall
//! behind and are told how many events they missed, and never slow the
//! publisher.

use std::sync::{Arc, RwLock};

use tokio::sync::broadcast;

use crate::{Event, RecordError, Recorder};

/// Fan-out of events to durable recorders and any number of subscribers.
#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Arc<Event>>,
    recorders: Arc<RwLock<Vec<Arc<dyn Recorder>>>>,
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
        EventBus {
            tx,
            recorders: Arc::default(),
        }
    }

    /// Adds a durable recorder; it sees every event emitted from now on.
    pub fn add_recorder(&self, recorder: Arc<dyn Recorder>) {
        self.recorders
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(recorder);
    }

    /// Hands `events` to every recorder, in the order they were added, then
    /// broadcasts them. The events are broadcast even when a recorder fails,
    /// since what they describe has happened; the first failure is returned
    /// so that the caller does not acknowledge the write as fully kept.
    pub async fn emit(&self, events: Vec<Event>) -> Result<(), RecordError> {
        if events.is_empty() {
            return Ok(());
        }
        let events: Vec<Arc<Event>> = events.into_iter().map(Arc::new).collect();
        let kept = self.record(&events).await;
        self.broadcast(events);
        kept
    }

    /// Hands `events` to every recorder, in the order they were added,
    /// without broadcasting them; the first failure is returned. With
    /// [`EventBus::broadcast`], this lets a writer keep events while its
    /// own commit is still being made durable, and broadcast only after.
    pub async fn record(&self, events: &[Arc<Event>]) -> Result<(), RecordError> {
        if events.is_empty() {
            return Ok(());
        }
        let recorders = self
            .recorders
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut failure = None;
        for r in &recorders {
            if let Err(e) = r.record(events).await {
                failure.get_or_insert(e);
            }
        }
        failure.map_or(Ok(()), Err)
    }

    /// Sends already recorded `events` to the subscribers.
    pub fn broadcast(&self, events: Vec<Arc<Event>>) {
        for e in events {
            let _ = self.tx.send(e);
        }
    }

    /// Broadcasts an event without recording it; returns how many
    /// subscribers will see it. For events no recorder needs to keep.
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

    /// The next event if one is already waiting, without waiting.
    pub fn try_recv(&mut self) -> Option<Received> {
        match self.rx.try_recv() {
            Ok(e) => Some(Received::Event(e)),
            Err(broadcast::error::TryRecvError::Lagged(n)) => Some(Received::Lagged(n)),
            Err(broadcast::error::TryRecvError::Closed) => Some(Received::Closed),
            Err(broadcast::error::TryRecvError::Empty) => None,
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

    struct Failing;

    impl Recorder for Failing {
        fn name(&self) -> &'static str {
            "failing"
        }
        fn record<'a>(&'a self, _: &'a [Arc<Event>]) -> crate::RecordFuture<'a> {
            Box::pin(async {
                Err(RecordError {
                    recorder: "failing",
                    message: "disk full".into(),
                })
            })
        }
    }

    struct Keeping(std::sync::Mutex<Vec<String>>);

    impl Recorder for Keeping {
        fn name(&self) -> &'static str {
            "keeping"
        }
        fn record<'a>(&'a self, events: &'a [Arc<Event>]) -> crate::RecordFuture<'a> {
            Box::pin(async move {
                let mut kept = self.0.lock().unwrap();
                kept.extend(events.iter().map(|e| e.twin_id().to_string()));
                Ok(())
            })
        }
    }

    #[tokio::test]
    async fn recorders_see_every_event_even_when_subscribers_lag() {
        let bus = EventBus::new(1);
        let keeping = Arc::new(Keeping(Default::default()));
        bus.add_recorder(keeping.clone());
        let _slow = bus.subscribe();
        for i in 0..5 {
            bus.emit(vec![deleted(&i.to_string())]).await.unwrap();
        }
        assert_eq!(*keeping.0.lock().unwrap(), ["0", "1", "2", "3", "4"]);
    }

    #[tokio::test]
    async fn a_failing_recorder_is_reported_and_the_event_still_broadcast() {
        let bus = EventBus::new(4);
        bus.add_recorder(Arc::new(Failing));
        let mut sub = bus.subscribe();
        let err = bus.emit(vec![deleted("a")]).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "failing could not record the event: disk full"
        );
        assert!(matches!(sub.recv().await, Received::Event(e) if e.twin_id() == "a"));
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
