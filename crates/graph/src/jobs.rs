//! Import and delete jobs: their lifecycle and saved form.

use serde_json::{Map, Value, json};

use crate::GraphError;

/// Which kind of job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum JobKind {
    /// An import of models, twins and relationships from NDJSON.
    Import,
    /// A deletion of all models, twins and relationships.
    Delete,
}

/// Where a job is in its lifecycle (ADT's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// Accepted, not yet running.
    NotStarted,
    /// Running.
    Running,
    /// Stopped with an error.
    Failed,
    /// Finished.
    Succeeded,
    /// Asked to stop.
    Cancelling,
    /// Stopped on request.
    Cancelled,
}

impl JobStatus {
    /// ADT's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::NotStarted => "notstarted",
            JobStatus::Running => "running",
            JobStatus::Failed => "failed",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Cancelling => "cancelling",
            JobStatus::Cancelled => "cancelled",
        }
    }

    fn parse(s: &str) -> Option<JobStatus> {
        [
            JobStatus::NotStarted,
            JobStatus::Running,
            JobStatus::Failed,
            JobStatus::Succeeded,
            JobStatus::Cancelling,
            JobStatus::Cancelled,
        ]
        .into_iter()
        .find(|j| j.as_str() == s)
    }

    /// Whether the job has stopped for good.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobStatus::Failed | JobStatus::Succeeded | JobStatus::Cancelled
        )
    }
}

/// A job record.
#[derive(Debug, Clone)]
pub struct Job {
    /// Import or delete.
    pub kind: JobKind,
    /// The job id.
    pub id: String,
    /// Current status.
    pub status: JobStatus,
    /// When it was created.
    pub created: String,
    /// When its status last changed.
    pub last_action: String,
    /// When it finished.
    pub finished: Option<String>,
    /// When its record will be purged.
    pub purge: String,
    /// Import input location.
    pub input_blob_uri: Option<String>,
    /// Import log location.
    pub output_blob_uri: Option<String>,
    /// The error that stopped it: (code, message).
    pub error: Option<(String, String)>,
    /// Counters: models, twins, relationships done, errors, lines read.
    pub progress: Progress,
}

/// How far a job has come.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Models added.
    pub models: u64,
    /// Twins written or deleted.
    pub twins: u64,
    /// Relationships written or deleted.
    pub relationships: u64,
    /// Entities refused, each logged.
    pub errors: u64,
    /// Input lines read.
    pub lines: u64,
}

impl Job {
    /// The storage key.
    pub fn key(kind: JobKind, id: &str) -> String {
        format!(
            "{}\u{0}{id}",
            match kind {
                JobKind::Import => "import",
                JobKind::Delete => "delete",
            }
        )
    }

    /// The ADT job document, with ferrotwin's `progress` counters added.
    pub fn to_document(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), json!(self.id));
        if let Some(u) = &self.input_blob_uri {
            m.insert("inputBlobUri".into(), json!(u));
        }
        if let Some(u) = &self.output_blob_uri {
            m.insert("outputBlobUri".into(), json!(u));
        }
        m.insert("status".into(), json!(self.status.as_str()));
        m.insert("createdDateTime".into(), json!(self.created));
        m.insert("lastActionDateTime".into(), json!(self.last_action));
        if let Some(f) = &self.finished {
            m.insert("finishedDateTime".into(), json!(f));
        }
        m.insert("purgeDateTime".into(), json!(self.purge));
        if let Some((code, message)) = &self.error {
            m.insert("error".into(), json!({"code": code, "message": message}));
        }
        let p = self.progress;
        m.insert(
            "progress".into(),
            json!({"models": p.models, "twins": p.twins, "relationships": p.relationships, "errors": p.errors, "linesRead": p.lines}),
        );
        Value::Object(m)
    }

    /// The saved encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut doc = self.to_document();
        doc["kind"] = json!(match self.kind {
            JobKind::Import => "import",
            JobKind::Delete => "delete",
        });
        serde_json::to_vec(&doc).unwrap_or_default()
    }

    /// Reads a saved job.
    pub fn decode(bytes: &[u8]) -> Result<Job, GraphError> {
        let v: Value = serde_json::from_slice(bytes)
            .map_err(|e| GraphError::Storage(format!("job record: {e}")))?;
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        let n = |k: &str| v["progress"].get(k).and_then(Value::as_u64).unwrap_or(0);
        let bad = || GraphError::Storage("job record is incomplete".into());
        Ok(Job {
            kind: if s("kind").as_deref() == Some("delete") {
                JobKind::Delete
            } else {
                JobKind::Import
            },
            id: s("id").ok_or_else(bad)?,
            status: s("status")
                .as_deref()
                .and_then(JobStatus::parse)
                .ok_or_else(bad)?,
            created: s("createdDateTime").ok_or_else(bad)?,
            last_action: s("lastActionDateTime").ok_or_else(bad)?,
            finished: s("finishedDateTime"),
            purge: s("purgeDateTime").unwrap_or_default(),
            input_blob_uri: s("inputBlobUri"),
            output_blob_uri: s("outputBlobUri"),
            error: v.get("error").map(|e| {
                (
                    e["code"].as_str().unwrap_or("").to_owned(),
                    e["message"].as_str().unwrap_or("").to_owned(),
                )
            }),
            progress: Progress {
                models: n("models"),
                twins: n("twins"),
                relationships: n("relationships"),
                errors: n("errors"),
                lines: n("linesRead"),
            },
        })
    }
}
