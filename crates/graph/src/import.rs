//! Import and delete jobs. An import reads ADT's NDJSON format (Header,
//! Models, Twins and Relationships sections): the models are added as one
//! atomic upload, then twins and relationships in large batches, each
//! entity checked on its own; refusals are logged to the job's output and
//! the rest goes on. Progress is visible on the job while it runs.

use std::io::{BufRead, Write};

use ferrotwin_events::Event;
use serde_json::{Value, json};

use crate::graph::Graph;
use crate::jobs::{Job, JobKind, JobStatus, Progress};
use crate::store::{Mutation, Table};
use crate::{GraphError, Page, PageRequest, Relationship, time};

/// Entities applied per durable batch.
const BATCH: usize = 10_000;

/// Where an import reads its input and writes its log.
pub struct ImportSource {
    /// The NDJSON input.
    pub input: Box<dyn BufRead + Send>,
    /// The NDJSON log, one line per notable event and per refused entity.
    pub output: Box<dyn Write + Send>,
}

#[derive(PartialEq, Clone, Copy)]
enum Section {
    None,
    Header,
    Models,
    Twins,
    Relationships,
}

impl Graph {
    /// One job.
    pub fn job(&self, kind: JobKind, id: &str) -> Result<Job, GraphError> {
        self.read(|st| st.jobs.get(&(kind, id.to_string())).cloned())
            .ok_or_else(|| GraphError::JobNotFound(kind, id.to_string()))
    }

    /// A page of jobs of one kind.
    pub fn jobs(&self, kind: JobKind, page: &PageRequest) -> Page<Job> {
        self.read(|st| {
            page.take(st.jobs.values().filter(|j| j.kind == kind).cloned(), |j| {
                j.id.clone()
            })
        })
    }

    /// Removes a finished job's record, so that its id can be reused.
    pub async fn delete_job(&self, kind: JobKind, id: &str) -> Result<(), GraphError> {
        self.write(|st| {
            let key = (kind, id.to_string());
            match st.jobs.get(&key) {
                None => return Err(GraphError::JobNotFound(kind, id.to_string())),
                Some(j) if !j.status.is_final() => {
                    return Err(GraphError::JobConflict(format!(
                        "job '{id}' is still {}; cancel it first",
                        j.status.as_str()
                    )));
                }
                Some(_) => {}
            }
            st.jobs.remove(&key);
            Ok((
                (),
                vec![Mutation::Delete {
                    table: Table::Jobs,
                    key: Job::key(kind, id),
                }],
                vec![],
            ))
        })
        .await
    }

    /// Asks a running import to stop after its current batch.
    pub async fn cancel_import(&self, id: &str) -> Result<Job, GraphError> {
        let job = self.job(JobKind::Import, id)?;
        if job.status.is_final() {
            return Ok(job);
        }
        self.set_cancelled(id, true);
        self.update_job(JobKind::Import, id, |j| j.status = JobStatus::Cancelling)
            .await
    }

    async fn update_job(
        &self,
        kind: JobKind,
        id: &str,
        f: impl FnOnce(&mut Job),
    ) -> Result<Job, GraphError> {
        self.write(|st| {
            let j = st
                .jobs
                .get_mut(&(kind, id.to_string()))
                .ok_or_else(|| GraphError::JobNotFound(kind, id.to_string()))?;
            if j.status == JobStatus::Cancelling && kind == JobKind::Import {
                f(j);
                if j.status == JobStatus::Running {
                    j.status = JobStatus::Cancelling;
                }
            } else {
                f(j);
            }
            j.last_action = time::now();
            let m = Mutation::Put {
                table: Table::Jobs,
                key: Job::key(kind, id),
                value: j.encode(),
            };
            Ok((j.clone(), vec![m], vec![]))
        })
        .await
    }

    async fn new_job(
        &self,
        kind: JobKind,
        id: &str,
        input: Option<String>,
        output: Option<String>,
    ) -> Result<Job, GraphError> {
        crate::graph::check_id("job", id)?;
        let now = chrono::Utc::now();
        let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
        let job = Job {
            kind,
            id: id.to_string(),
            status: JobStatus::NotStarted,
            created: fmt(now),
            last_action: fmt(now),
            finished: None,
            purge: fmt(now + chrono::Duration::days(30)),
            input_blob_uri: input,
            output_blob_uri: output,
            error: None,
            progress: Progress::default(),
        };
        self.write(|st| {
            let key = (kind, id.to_string());
            if st.jobs.contains_key(&key) {
                return Err(GraphError::JobConflict(format!(
                    "a job with id '{id}' already exists; delete it to reuse the id"
                )));
            }
            if st
                .jobs
                .values()
                .any(|j| j.kind == kind && !j.status.is_final())
            {
                return Err(GraphError::JobConflict(
                    "another job of this kind is still running; wait for it to finish".into(),
                ));
            }
            st.jobs.insert(key, job.clone());
            let m = Mutation::Put {
                table: Table::Jobs,
                key: Job::key(kind, id),
                value: job.encode(),
            };
            Ok((job, vec![m], vec![]))
        })
        .await
    }

    /// Creates an import job and runs it in the background.
    pub async fn create_import(
        &self,
        id: &str,
        input_uri: String,
        output_uri: String,
        source: ImportSource,
    ) -> Result<Job, GraphError> {
        let job = self
            .new_job(JobKind::Import, id, Some(input_uri), Some(output_uri))
            .await?;
        let graph = self.clone();
        let id = id.to_string();
        tokio::spawn(async move { graph.run_import(&id, source).await });
        Ok(job)
    }

    /// Creates a job that deletes every relationship, twin and model, and runs it.
    pub async fn create_delete_job(&self, id: &str) -> Result<Job, GraphError> {
        let job = self.new_job(JobKind::Delete, id, None, None).await?;
        let graph = self.clone();
        let id = id.to_string();
        tokio::spawn(async move { graph.run_delete(&id).await });
        Ok(job)
    }

    async fn finish(
        &self,
        kind: JobKind,
        id: &str,
        progress: Progress,
        error: Option<(String, String)>,
    ) {
        let cancelled = self.is_cancelled(id);
        self.set_cancelled(id, false);
        let r = self
            .update_job(kind, id, |j| {
                j.progress = progress;
                j.finished = Some(time::now());
                j.status = match (&error, cancelled) {
                    (_, true) => JobStatus::Cancelled,
                    (Some(_), _) => JobStatus::Failed,
                    (None, _) => JobStatus::Succeeded,
                };
                j.error = error;
            })
            .await;
        if let Err(e) = r {
            tracing::error!(job = id, error = %e, "could not record the end of a job");
        }
    }

    async fn run_import(&self, id: &str, source: ImportSource) {
        let ImportSource { input, mut output } = source;
        let mut log = |level: &str, details: String| {
            let line = json!({"timestamp": time::now(), "jobId": id, "jobType": "Import", "logType": level, "details": details});
            let _ = writeln!(output, "{line}");
        };
        let _ = self
            .update_job(JobKind::Import, id, |j| j.status = JobStatus::Running)
            .await;
        log("Info", "Status: Running".into());
        let mut progress = Progress::default();
        let mut section = Section::None;
        let mut models: Vec<Value> = Vec::new();
        let mut batch: Vec<Value> = Vec::new();
        let mut error = None;
        for (n, line) in input.lines().enumerate() {
            let line = match line {
                Ok(l) => l,
                Err(e) => {
                    error = Some((
                        "InputReadError".to_string(),
                        format!("reading line {}: {e}", n + 1),
                    ));
                    break;
                }
            };
            progress.lines += 1;
            if line.trim().is_empty() {
                continue;
            }
            let value: Value = match serde_json::from_str(&line) {
                Ok(v) => v,
                Err(e) => {
                    error = Some((
                        "InvalidJson".to_string(),
                        format!("line {}: not valid JSON: {e}", n + 1),
                    ));
                    break;
                }
            };
            if let Some(s) = value.get("Section").and_then(Value::as_str) {
                let next = match s {
                    "Header" => Section::Header,
                    "Models" => Section::Models,
                    "Twins" => Section::Twins,
                    "Relationships" => Section::Relationships,
                    other => {
                        error = Some((
                            "InvalidSection".to_string(),
                            format!("line {}: unknown section '{other}'", n + 1),
                        ));
                        break;
                    }
                };
                if let Err(e) = self
                    .flush_section(section, &mut models, &mut batch, &mut progress, &mut log)
                    .await
                {
                    error = Some(e);
                    break;
                }
                section = next;
                continue;
            }
            match section {
                Section::None => {
                    error = Some((
                        "InvalidSection".to_string(),
                        format!("line {}: data before the first section marker", n + 1),
                    ));
                    break;
                }
                Section::Header => {}
                Section::Models => models.push(value),
                Section::Twins | Section::Relationships => {
                    batch.push(value);
                    if batch.len() >= BATCH {
                        if let Err(e) = self
                            .flush_section(
                                section,
                                &mut models,
                                &mut batch,
                                &mut progress,
                                &mut log,
                            )
                            .await
                        {
                            error = Some(e);
                            break;
                        }
                        let _ = self
                            .update_job(JobKind::Import, id, |j| j.progress = progress)
                            .await;
                    }
                }
            }
            if self.is_cancelled(id) {
                break;
            }
        }
        if error.is_none() && !self.is_cancelled(id) {
            if let Err(e) = self
                .flush_section(section, &mut models, &mut batch, &mut progress, &mut log)
                .await
            {
                error = Some(e);
            }
        }
        match &error {
            Some((code, msg)) => log("Error", format!("{code}: {msg}")),
            None => log(
                "Info",
                format!(
                    "Status: done; models {}, twins {}, relationships {}, refused entities {}",
                    progress.models, progress.twins, progress.relationships, progress.errors
                ),
            ),
        }
        let _ = output.flush();
        self.finish(JobKind::Import, id, progress, error).await;
    }

    async fn flush_section(
        &self,
        section: Section,
        models: &mut Vec<Value>,
        batch: &mut Vec<Value>,
        progress: &mut Progress,
        log: &mut impl FnMut(&str, String),
    ) -> Result<(), (String, String)> {
        match section {
            Section::Models if !models.is_empty() => {
                let n = models.len();
                self.add_models(std::mem::take(models))
                    .await
                    .map_err(|e| ("ModelImportFailed".to_string(), e.to_string()))?;
                progress.models += n as u64;
                log("Info", format!("{n} models added"));
            }
            Section::Twins if !batch.is_empty() => {
                let (ok, refused) = self
                    .import_twins(std::mem::take(batch))
                    .await
                    .map_err(|e| ("StorageError".to_string(), e.to_string()))?;
                progress.twins += ok;
                progress.errors += refused.len() as u64;
                refused.into_iter().for_each(|r| log("Error", r));
            }
            Section::Relationships if !batch.is_empty() => {
                let (ok, refused) = self
                    .import_relationships(std::mem::take(batch))
                    .await
                    .map_err(|e| ("StorageError".to_string(), e.to_string()))?;
                progress.relationships += ok;
                progress.errors += refused.len() as u64;
                refused.into_iter().for_each(|r| log("Error", r));
            }
            _ => {}
        }
        Ok(())
    }

    async fn import_twins(&self, items: Vec<Value>) -> Result<(u64, Vec<String>), GraphError> {
        let now = time::Timestamp::now();
        self.write(|st| {
            let (mut muts, mut events, mut refused) = (Vec::new(), Vec::new(), Vec::new());
            for item in items {
                let Some(id) = item.get("$dtId").and_then(Value::as_str).map(str::to_owned) else {
                    refused.push(format!(
                        "twin without a string $dtId: {}",
                        abbreviate(&item)
                    ));
                    continue;
                };
                if st.has_twin(&id) {
                    refused.push(format!("twin '{id}': already exists"));
                    continue;
                }
                match crate::graph::twins::build(st, &id, item, now) {
                    Ok(t) => {
                        muts.push(Mutation::Put {
                            table: Table::Twins,
                            key: id.clone(),
                            value: t.encode(),
                        });
                        events.push(Event::TwinCreated {
                            twin_id: id,
                            model: t.model.to_string(),
                            twin: t.to_document(),
                        });
                        st.put_twin(t);
                    }
                    Err(e) => refused.push(format!("twin '{id}': {e}")),
                }
            }
            Ok(((muts.len() as u64, refused), muts, events))
        })
        .await
    }

    async fn import_relationships(
        &self,
        items: Vec<Value>,
    ) -> Result<(u64, Vec<String>), GraphError> {
        self.write(|st| {
            let (mut muts, mut events, mut refused) = (Vec::new(), Vec::new(), Vec::new());
            for mut item in items {
                let source = item
                    .as_object_mut()
                    .and_then(|m| m.remove("$dtId"))
                    .and_then(|v| v.as_str().map(str::to_owned));
                let rid = item
                    .get("$relationshipId")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                let (Some(source), Some(rid)) = (source, rid) else {
                    refused.push(format!(
                        "relationship without string $dtId and $relationshipId: {}",
                        abbreviate(&item)
                    ));
                    continue;
                };
                if st.relationship(&source, &rid).is_some() {
                    refused.push(format!(
                        "relationship '{rid}' of '{source}': already exists"
                    ));
                    continue;
                }
                match crate::graph::relationships::build(st, &source, &rid, item) {
                    Ok(r) => {
                        muts.push(Mutation::Put {
                            table: Table::Relationships,
                            key: Relationship::key(&source, &rid),
                            value: r.encode(),
                        });
                        events.push(Event::RelationshipCreated {
                            source_id: source,
                            relationship_id: rid,
                            relationship: r.to_document(),
                        });
                        st.put_relationship(r);
                    }
                    Err(e) => refused.push(format!("relationship '{rid}' of '{source}': {e}")),
                }
            }
            Ok(((muts.len() as u64, refused), muts, events))
        })
        .await
    }

    async fn run_delete(&self, id: &str) {
        let _ = self
            .update_job(JobKind::Delete, id, |j| j.status = JobStatus::Running)
            .await;
        let mut progress = Progress::default();
        let result = async {
            loop {
                let (rels, twins) = self
                    .write(|st| {
                        let keys = st.some_relationships(BATCH);
                        let mut muts = Vec::with_capacity(keys.len());
                        let mut events = Vec::with_capacity(keys.len());
                        for (s, r) in &keys {
                            st.remove_relationship(s, r);
                            muts.push(Mutation::Delete {
                                table: Table::Relationships,
                                key: Relationship::key(s, r),
                            });
                            events.push(Event::RelationshipDeleted {
                                source_id: s.clone(),
                                relationship_id: r.clone(),
                            });
                        }
                        let mut twins = 0u64;
                        if keys.is_empty() {
                            let ids = st.some_twins(BATCH);
                            for t in ids {
                                if let Some(old) = st.remove_twin(&t) {
                                    muts.push(Mutation::Delete {
                                        table: Table::Twins,
                                        key: t.clone(),
                                    });
                                    events.push(Event::TwinDeleted {
                                        twin_id: t,
                                        model: old.model.to_string(),
                                    });
                                    twins += 1;
                                }
                            }
                        }
                        Ok(((keys.len() as u64, twins), muts, events))
                    })
                    .await?;
                progress.relationships += rels;
                progress.twins += twins;
                if rels == 0 && twins == 0 {
                    break;
                }
            }
            let n = self
                .write(|st| {
                    let ids: Vec<String> = st.models.records().map(|r| r.id.clone()).collect();
                    let muts = ids
                        .iter()
                        .map(|m| Mutation::Delete {
                            table: Table::Models,
                            key: m.clone(),
                        })
                        .collect();
                    st.models.clear();
                    Ok((ids.len() as u64, muts, vec![]))
                })
                .await?;
            progress.models = n;
            Ok::<(), GraphError>(())
        }
        .await;
        let error = result
            .err()
            .map(|e| ("DeleteFailed".to_string(), e.to_string()));
        self.finish(JobKind::Delete, id, progress, error).await;
    }
}

fn abbreviate(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 120 {
        format!("{}...", &s[..s.floor_char_boundary(117)])
    } else {
        s
    }
}
