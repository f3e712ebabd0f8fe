//! Rooms: who is looking at a twin, and where each one points. Live only:
//! a room exists while someone is in it and keeps nothing on disk.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::{Annotation, CollabError};

/// Messages a room's members may fall behind by before they lag.
const ROOM_BUFFER: usize = 256;
/// The most people in one room.
pub const MAX_PARTICIPANTS: usize = 64;

/// Colours handed out in turn, so pointers tell people apart.
const PALETTE: [&str; 8] = [
    "#3fa7ff", "#ff7b72", "#7ee787", "#d2a8ff", "#ffa657", "#79c0ff", "#f2cc60", "#56d4dd",
];

/// Someone in a room.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Participant {
    /// This connection's id.
    pub session: String,
    /// The token's name.
    pub name: String,
    /// The token's role.
    pub role: String,
    /// Their pointer's colour.
    pub color: String,
    /// When they joined (RFC 3339).
    pub since: String,
}

/// Where someone points: a place on a machine, in its own coordinates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Pointer {
    /// The machine twin under the pointer.
    pub target: String,
    /// The point, in that machine's coordinates (metres).
    pub position: [f64; 3],
    /// The part under the pointer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
}

impl Pointer {
    /// Checks a pointer a client sent.
    pub fn check(&self) -> Result<(), CollabError> {
        if self.target.is_empty() || self.target.len() > 256 {
            return Err(CollabError::Invalid(
                "pointer target must be a twin id".into(),
            ));
        }
        if !self
            .position
            .iter()
            .all(|v| v.is_finite() && v.abs() <= 1000.0)
        {
            return Err(CollabError::Invalid(
                "pointer position must be three finite numbers within ±1000 m".into(),
            ));
        }
        if self.part.as_ref().is_some_and(|p| p.len() > 128) {
            return Err(CollabError::Invalid("pointer part name is too long".into()));
        }
        Ok(())
    }
}

/// What a room tells its members.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum RoomMessage {
    /// Someone joined.
    Join {
        /// Who.
        participant: Participant,
    },
    /// Someone left.
    Leave {
        /// Their session.
        session: String,
    },
    /// Someone's pointer moved (None: it left the model).
    Pointer {
        /// Whose.
        session: String,
        /// Where.
        pointer: Option<Pointer>,
    },
    /// An annotation was pinned.
    Annotation {
        /// It.
        annotation: Annotation,
    },
    /// An annotation was removed.
    AnnotationDeleted {
        /// Its id.
        id: String,
        /// Who removed it.
        by: String,
    },
}

/// One twin's room.
struct Room {
    tx: broadcast::Sender<RoomMessage>,
    people: HashMap<String, Participant>,
    joined: u64,
}

/// Every open room, by twin id.
#[derive(Default)]
pub struct Rooms {
    rooms: Mutex<HashMap<String, Room>>,
}

impl Rooms {
    /// Enters `twin`'s room: the new participant, who was already there,
    /// and the stream of what happens next (the join included).
    pub fn join(
        &self,
        twin: &str,
        name: &str,
        role: &str,
    ) -> Result<
        (
            Participant,
            Vec<Participant>,
            broadcast::Receiver<RoomMessage>,
        ),
        CollabError,
    > {
        let mut rooms = self.rooms.lock().expect("rooms lock");
        let room = rooms.entry(twin.to_string()).or_insert_with(|| Room {
            tx: broadcast::channel(ROOM_BUFFER).0,
            people: HashMap::new(),
            joined: 0,
        });
        if room.people.len() >= MAX_PARTICIPANTS {
            return Err(CollabError::Limit(format!(
                "twin '{twin}' already has {MAX_PARTICIPANTS} people looking at it"
            )));
        }
        let p = Participant {
            session: uuid::Uuid::new_v4().simple().to_string(),
            name: name.to_string(),
            role: role.to_string(),
            color: PALETTE[(room.joined as usize) % PALETTE.len()].to_string(),
            since: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        };
        room.joined += 1;
        let mut others: Vec<Participant> = room.people.values().cloned().collect();
        others.sort_by(|a, b| a.since.cmp(&b.since));
        let rx = room.tx.subscribe();
        room.people.insert(p.session.clone(), p.clone());
        let _ = room.tx.send(RoomMessage::Join {
            participant: p.clone(),
        });
        Ok((p, others, rx))
    }

    /// Leaves the room; the last one out closes it.
    pub fn leave(&self, twin: &str, session: &str) {
        let mut rooms = self.rooms.lock().expect("rooms lock");
        if let Some(room) = rooms.get_mut(twin) {
            room.people.remove(session);
            let _ = room.tx.send(RoomMessage::Leave {
                session: session.to_string(),
            });
            if room.people.is_empty() {
                rooms.remove(twin);
            }
        }
    }

    /// Tells everyone in `twin`'s room, if it is open.
    pub fn announce(&self, twin: &str, m: RoomMessage) {
        if let Some(room) = self.rooms.lock().expect("rooms lock").get(twin) {
            let _ = room.tx.send(m);
        }
    }

    /// Who is in `twin`'s room.
    pub fn participants(&self, twin: &str) -> Vec<Participant> {
        let rooms = self.rooms.lock().expect("rooms lock");
        let mut v: Vec<Participant> = rooms
            .get(twin)
            .map(|r| r.people.values().cloned().collect())
            .unwrap_or_default();
        v.sort_by(|a, b| a.since.cmp(&b.since));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn members_hear_joins_pointers_and_leaves() {
        let rooms = Rooms::default();
        let (ana, before, mut rx_ana) = rooms.join("pump-1", "ana", "writer").unwrap();
        assert!(before.is_empty());
        assert!(
            matches!(rx_ana.recv().await.unwrap(), RoomMessage::Join { participant } if participant == ana)
        );
        let (bob, before, _rx_bob) = rooms.join("pump-1", "bob", "reader").unwrap();
        assert_eq!(before, vec![ana.clone()]);
        assert_ne!(ana.color, bob.color);
        assert!(
            matches!(rx_ana.recv().await.unwrap(), RoomMessage::Join { participant } if participant.name == "bob")
        );
        let p = Pointer {
            target: "pump-1".into(),
            position: [0.1, 0.5, 0.0],
            part: Some("casing".into()),
        };
        rooms.announce(
            "pump-1",
            RoomMessage::Pointer {
                session: bob.session.clone(),
                pointer: Some(p.clone()),
            },
        );
        assert!(
            matches!(rx_ana.recv().await.unwrap(), RoomMessage::Pointer { pointer: Some(q), .. } if q == p)
        );
        rooms.leave("pump-1", &bob.session);
        assert!(
            matches!(rx_ana.recv().await.unwrap(), RoomMessage::Leave { session } if session == bob.session)
        );
        assert_eq!(rooms.participants("pump-1"), vec![ana.clone()]);
        rooms.leave("pump-1", &ana.session);
        assert!(rooms.participants("pump-1").is_empty());
    }

    #[test]
    fn pointers_are_checked() {
        let bad = Pointer {
            target: "pump-1".into(),
            position: [f64::NAN, 0.0, 0.0],
            part: None,
        };
        assert!(bad.check().is_err());
    }
}
