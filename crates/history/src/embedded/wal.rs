//! The write-ahead log: numbered records in segment files, appended and
//! fsynced by one thread that groups concurrent appends into one sync.
//! A record is `[len u32][crc32 u32][seq u64][payload]`. On open, a torn
//! record at the end of the last segment (a crash mid-write) is cut off;
//! damage anywhere else stops the open with the file and offset named.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

/// Acknowledges one append once it is durable.
pub(crate) type Ack = oneshot::Receiver<Result<(), String>>;

enum Job {
    Append(u64, Vec<u8>, oneshot::Sender<Result<(), String>>),
    Truncate(u64),
}

/// The log's writer.
pub(crate) struct Wal {
    tx: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

fn segment_name(first_seq: u64) -> String {
    format!("{first_seq:020}.log")
}

fn segments(dir: &Path) -> std::io::Result<Vec<(u64, PathBuf)>> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir)? {
        let path = e?.path();
        let seq = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".log"))
            .and_then(|n| n.parse::<u64>().ok());
        if let Some(seq) = seq {
            out.push((seq, path));
        }
    }
    out.sort();
    Ok(out)
}

/// Called per record with its seq and payload.
pub(crate) type Visitor<'a> = dyn FnMut(u64, &[u8]) -> Result<(), String> + 'a;

/// Reads every record in `dir` in order, calling `visit(seq, payload)`.
/// Returns the last sequence number seen (0 when empty).
pub(crate) fn replay(dir: &Path, visit: &mut Visitor<'_>) -> Result<u64, String> {
    fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let segs = segments(dir).map_err(|e| format!("listing {}: {e}", dir.display()))?;
    let mut last = 0;
    for (i, (_, path)) in segs.iter().enumerate() {
        let mut bytes = Vec::new();
        File::open(path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        let mut at = 0usize;
        while at < bytes.len() {
            let torn = |why: &str| format!("{} is damaged at byte {at}: {why}", path.display());
            let rest = &bytes[at..];
            let whole = rest.len() >= 16 && {
                let len = u32::from_le_bytes(rest[0..4].try_into().expect("4")) as usize;
                rest.len() >= 16 + len
                    && crc32fast::hash(&rest[8..16 + len])
                        == u32::from_le_bytes(rest[4..8].try_into().expect("4"))
            };
            if !whole {
                if i + 1 == segs.len() {
                    tracing::warn!(file = %path.display(), offset = at, "cutting off a torn write-ahead record left by a crash");
                    OpenOptions::new()
                        .write(true)
                        .open(path)
                        .and_then(|f| {
                            f.set_len(at as u64)?;
                            f.sync_all()
                        })
                        .map_err(|e| format!("truncating {}: {e}", path.display()))?;
                    break;
                }
                return Err(torn(
                    "a record fails its checksum in a segment that is not the last",
                ));
            }
            let len = u32::from_le_bytes(rest[0..4].try_into().expect("4")) as usize;
            let seq = u64::from_le_bytes(rest[8..16].try_into().expect("8"));
            visit(seq, &rest[16..16 + len])?;
            last = seq;
            at += 16 + len;
        }
    }
    Ok(last)
}

struct Writer {
    dir: PathBuf,
    segment_bytes: u64,
    segs: Vec<(u64, PathBuf)>,
    file: BufWriter<File>,
    written: u64,
    last_seq: u64,
}

impl Writer {
    fn open_segment(&mut self, first_seq: u64) -> std::io::Result<()> {
        let path = self.dir.join(segment_name(first_seq));
        let f = OpenOptions::new().create(true).append(true).open(&path)?;
        File::open(&self.dir)?.sync_all()?;
        self.written = f.metadata()?.len();
        self.file = BufWriter::with_capacity(1 << 20, f);
        if self.segs.last().map(|s| s.0) != Some(first_seq) {
            self.segs.push((first_seq, path));
        }
        Ok(())
    }

    fn append(&mut self, seq: u64, payload: &[u8]) -> std::io::Result<()> {
        if self.written >= self.segment_bytes {
            self.file.flush()?;
            self.file.get_ref().sync_data()?;
            self.open_segment(seq)?;
        }
        let mut head = [0u8; 16];
        head[0..4].copy_from_slice(&(payload.len() as u32).to_le_bytes());
        head[8..16].copy_from_slice(&seq.to_le_bytes());
        let mut h = crc32fast::Hasher::new();
        h.update(&head[8..16]);
        h.update(payload);
        head[4..8].copy_from_slice(&h.finalize().to_le_bytes());
        self.file.write_all(&head)?;
        self.file.write_all(payload)?;
        self.written += 16 + payload.len() as u64;
        self.last_seq = seq;
        Ok(())
    }

    fn sync(&mut self) -> std::io::Result<()> {
        self.file.flush()?;
        self.file.get_ref().sync_data()
    }

    /// Deletes segments whose records all have seq below `below`. When
    /// every record is below it, the active segment is replaced by an empty
    /// one first, so that a quiet log shrinks to nothing.
    fn truncate(&mut self, below: u64) {
        if below > self.last_seq && self.written > 0 {
            if let Err(e) = self.sync().and_then(|_| self.open_segment(below)) {
                tracing::warn!(error = %e, "could not start a new write-ahead segment");
            }
        }
        while self.segs.len() > 1 && self.segs[1].0 <= below {
            let (_, path) = self.segs.remove(0);
            if let Err(e) = fs::remove_file(&path) {
                tracing::warn!(file = %path.display(), error = %e, "could not delete a checkpointed write-ahead segment");
            }
        }
    }
}

impl Wal {
    /// Starts the writer; new records go to a fresh segment after `last_seq`.
    pub(crate) fn start(dir: &Path, last_seq: u64, segment_bytes: u64) -> Result<Wal, String> {
        let segs = segments(dir).map_err(|e| format!("listing {}: {e}", dir.display()))?;
        let placeholder = File::open(dir).map_err(|e| format!("opening {}: {e}", dir.display()))?;
        let mut w = Writer {
            dir: dir.to_path_buf(),
            segment_bytes,
            segs,
            file: BufWriter::new(placeholder),
            written: 0,
            last_seq,
        };
        w.open_segment(last_seq + 1)
            .map_err(|e| format!("creating a write-ahead segment in {}: {e}", dir.display()))?;
        let (tx, rx) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("history-wal".into())
            .spawn(move || run(w, rx))
            .map_err(|e| e.to_string())?;
        Ok(Wal {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    /// Queues a record; the returned ack resolves once it is on disk.
    pub(crate) fn append(&self, seq: u64, payload: Vec<u8>) -> Ack {
        let (ack, rx) = oneshot::channel();
        match &self.tx {
            Some(tx) => {
                if let Err(mpsc::SendError(Job::Append(_, _, ack))) =
                    tx.send(Job::Append(seq, payload, ack))
                {
                    let _ = ack.send(Err("the write-ahead log is closed".into()));
                }
            }
            None => {
                let _ = ack.send(Err("the write-ahead log is closed".into()));
            }
        }
        rx
    }

    /// Lets the log delete segments holding only records below `below`.
    pub(crate) fn checkpoint(&self, below: u64) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(Job::Truncate(below));
        }
    }

    /// Syncs what is queued and stops the writer.
    pub(crate) fn close(&mut self) {
        self.tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Wal {
    fn drop(&mut self) {
        self.close();
    }
}

fn run(mut w: Writer, rx: mpsc::Receiver<Job>) {
    let mut acks = Vec::new();
    let mut failed: Option<String> = None;
    while let Ok(first) = rx.recv() {
        let mut truncate = None;
        let mut job = Some(first);
        while let Some(j) = job.take() {
            match j {
                Job::Append(seq, payload, ack) => {
                    if failed.is_none()
                        && let Err(e) = w.append(seq, &payload)
                    {
                        failed = Some(format!("writing the write-ahead log: {e}"));
                    }
                    acks.push(ack);
                }
                Job::Truncate(below) => truncate = Some(below),
            }
            if acks.len() < 4096 {
                job = rx.try_recv().ok();
            }
        }
        if failed.is_none()
            && !acks.is_empty()
            && let Err(e) = w.sync()
        {
            failed = Some(format!("syncing the write-ahead log: {e}"));
        }
        for ack in acks.drain(..) {
            let _ = ack.send(failed.clone().map_or(Ok(()), Err));
        }
        if let Some(below) = truncate {
            w.truncate(below);
        }
    }
    let _ = w.sync();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(dir: &Path) -> Vec<(u64, Vec<u8>)> {
        let mut out = Vec::new();
        replay(dir, &mut |s, p| {
            out.push((s, p.to_vec()));
            Ok(())
        })
        .unwrap();
        out
    }

    #[tokio::test]
    async fn records_survive_and_a_torn_tail_is_cut() {
        let dir = tempfile::tempdir().unwrap();
        let mut wal = Wal::start(dir.path(), 0, 64).unwrap();
        for seq in 1..=5u64 {
            wal.append(seq, vec![seq as u8; 30]).await.unwrap().unwrap();
        }
        wal.close();
        let (_, last) = segments(dir.path()).unwrap().pop().unwrap();
        let mut f = OpenOptions::new().append(true).open(&last).unwrap();
        f.write_all(&[9, 0, 0, 0, 1, 2]).unwrap();
        let got = read_all(dir.path());
        assert_eq!(got.iter().map(|r| r.0).collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
        assert_eq!(got[2].1, vec![3u8; 30]);
        assert_eq!(read_all(dir.path()).len(), 5, "the torn tail was cut");
    }

    #[tokio::test]
    async fn checkpoint_deletes_whole_segments_only() {
        let dir = tempfile::tempdir().unwrap();
        let mut wal = Wal::start(dir.path(), 0, 40).unwrap();
        for seq in 1..=6u64 {
            wal.append(seq, vec![0; 30]).await.unwrap().unwrap();
        }
        wal.checkpoint(4);
        wal.close();
        let left: Vec<u64> = read_all(dir.path()).iter().map(|r| r.0).collect();
        assert_eq!(left, [4, 5, 6]);
        let mut wal = Wal::start(dir.path(), 6, 1 << 20).unwrap();
        wal.append(7, vec![0; 30]).await.unwrap().unwrap();
        wal.checkpoint(8);
        wal.close();
        assert!(
            read_all(dir.path()).is_empty(),
            "a fully checkpointed log is emptied"
        );
    }

    #[test]
    fn damage_before_the_last_segment_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(segment_name(1)), [1, 2, 3]).unwrap();
        fs::write(dir.path().join(segment_name(9)), []).unwrap();
        let err = replay(dir.path(), &mut |_, _| Ok(())).unwrap_err();
        assert!(err.contains("damaged at byte 0"), "{err}");
    }
}
