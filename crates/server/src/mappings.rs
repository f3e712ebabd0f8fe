//! Mapping rules: those of the config file (read-only) followed by those
//! added through the API (kept in `<data>/mappings.redb`), applied live to
//! the built-in MQTT endpoint. The server's implementation of the API's
//! [`MappingRules`].

use std::path::Path;
use std::sync::Mutex;

use ferrotwin_api::{MappingError, MappingRules};
use ferrotwin_connect::{MappingRule, Rules};
use ferrotwin_ingest::MappingStore;
use serde_json::Value;

/// The rule set and where the API's rules are kept.
pub struct Mappings {
    config: Vec<MappingRule>,
    store: MappingStore,
    live: Rules,
    /// Serializes changes, so the store and the live set agree.
    changing: Mutex<()>,
}

fn storage(e: ferrotwin_ingest::IngestError) -> MappingError {
    MappingError::Storage(e.to_string())
}

impl Mappings {
    /// Opens the store and makes every rule live.
    pub fn open(data: &Path, config: Vec<MappingRule>) -> anyhow::Result<Mappings> {
        let store = MappingStore::open(&data.join("mappings.redb"))
            .map_err(|e| anyhow::anyhow!("opening the mapping rules: {e}"))?;
        let m = Mappings {
            config,
            store,
            live: Rules::default(),
            changing: Mutex::new(()),
        };
        let all = m.all().map_err(|e| anyhow::anyhow!("{e:?}"))?;
        m.live.replace(&all).map_err(anyhow::Error::msg)?;
        Ok(m)
    }

    /// The live set the MQTT endpoint reads.
    pub fn live(&self) -> Rules {
        self.live.clone()
    }

    fn stored(&self) -> Result<Vec<MappingRule>, MappingError> {
        self.store
            .all()
            .map_err(storage)?
            .into_iter()
            .map(|(id, v)| {
                serde_json::from_value::<MappingRule>(v)
                    .map_err(|e| MappingError::Storage(format!("stored mapping '{id}': {e}")))
            })
            .collect()
    }

    fn all(&self) -> Result<Vec<MappingRule>, MappingError> {
        let mut all = self.config.clone();
        all.extend(self.stored()?);
        Ok(all)
    }

    fn read_only(&self, id: &str) -> Result<(), MappingError> {
        if self.config.iter().any(|r| r.id == id) {
            return Err(MappingError::ReadOnly(format!(
                "mapping '{id}' comes from the config file; change it there"
            )));
        }
        Ok(())
    }
}

fn shown(rule: &MappingRule, origin: &str) -> Value {
    let mut v = serde_json::to_value(rule).expect("rules serialize");
    v["origin"] = Value::String(origin.into());
    v
}

impl MappingRules for Mappings {
    fn list(&self) -> Result<Vec<Value>, MappingError> {
        let mut out: Vec<Value> = self.config.iter().map(|r| shown(r, "config")).collect();
        out.extend(self.stored()?.iter().map(|r| shown(r, "api")));
        Ok(out)
    }

    fn put(&self, id: &str, mut rule: Value) -> Result<(bool, Value), MappingError> {
        let _one = self.changing.lock().expect("not poisoned");
        self.read_only(id)?;
        let Value::Object(fields) = &mut rule else {
            return Err(MappingError::Invalid(
                "a mapping rule is a JSON object".into(),
            ));
        };
        fields.remove("origin");
        match fields.get("id") {
            None => {
                fields.insert("id".into(), Value::String(id.into()));
            }
            Some(Value::String(given)) if given == id => {}
            Some(other) => {
                return Err(MappingError::Invalid(format!(
                    "the body's id {other} differs from the id in the path, '{id}'"
                )));
            }
        }
        let parsed: MappingRule = serde_json::from_value(rule)
            .map_err(|e| MappingError::Invalid(format!("mapping '{id}': {e}")))?;
        parsed.check().map_err(MappingError::Invalid)?;
        let mut all = self.all()?;
        match all.iter_mut().find(|r| r.id == id) {
            Some(r) => *r = parsed.clone(),
            None => all.push(parsed.clone()),
        }
        let stored = serde_json::to_value(&parsed).expect("rules serialize");
        let created = self.store.put(id, &stored).map_err(storage)?;
        self.live.replace(&all).map_err(MappingError::Invalid)?;
        Ok((created, shown(&parsed, "api")))
    }

    fn delete(&self, id: &str) -> Result<(), MappingError> {
        let _one = self.changing.lock().expect("not poisoned");
        self.read_only(id)?;
        if !self.store.delete(id).map_err(storage)? {
            return Err(MappingError::NotFound(format!("no mapping rule '{id}'")));
        }
        let all = self.all()?;
        self.live.replace(&all).map_err(MappingError::Invalid)?;
        Ok(())
    }
}
