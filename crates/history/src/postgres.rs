//! The PostgreSQL engine, for users who outgrow one machine. One row per
//! point in a `points` table that is a TimescaleDB hypertable where the
//! extension is available, and otherwise a table partitioned by range of
//! time into one partition per day, created as data arrives. Everything
//! lives in one schema, so several ferrotwin instances (or tests) can
//! share a database.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use deadpool_postgres::{Manager, Pool};
use parking_lot::Mutex;
use tokio_postgres::NoTls;
use tokio_postgres::types::ToSql;

use crate::aggregate::bucket_width;
use crate::{
    Bucket, Cursor, HistoryError, HistoryStore, Kind, Page, Point, Sample, Scope, SeriesInfo,
    SeriesKey, Stats, TimeRange,
};

const DAY: i64 = 86_400_000_000;

/// History in PostgreSQL.
pub struct Postgres {
    pool: Pool,
    schema: String,
    timescale: bool,
    ids: Mutex<HashMap<SeriesKey, i32>>,
    partitions: Mutex<HashSet<i64>>,
}

fn pg(context: &'static str) -> impl Fn(tokio_postgres::Error) -> HistoryError {
    move |e| {
        let detail = e
            .as_db_error()
            .map_or_else(|| e.to_string(), |d| d.message().to_string());
        HistoryError::Storage(format!("{context}: {detail}"))
    }
}

fn pool_err(e: deadpool_postgres::PoolError) -> HistoryError {
    HistoryError::Storage(format!("connecting to PostgreSQL: {e}"))
}

/// Refuses schema names that would need quoting.
fn check_schema(s: &str) -> Result<(), HistoryError> {
    let ok = !s.is_empty()
        && s.len() <= 63
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(HistoryError::Invalid(format!(
            "the history schema name '{s}' must be 1 to 63 lowercase letters, digits or underscores"
        )))
    }
}

impl Postgres {
    /// Connects to `url` (a `postgres://` URL) and creates the schema and
    /// tables when missing.
    pub async fn connect(url: &str, schema: &str) -> Result<Postgres, HistoryError> {
        check_schema(schema)?;
        let config: tokio_postgres::Config = url.parse().map_err(|e| {
            HistoryError::Invalid(format!("the PostgreSQL URL '{url}' is not valid: {e}"))
        })?;
        let manager = Manager::new(config, NoTls);
        let pool = Pool::builder(manager)
            .max_size(16)
            .build()
            .map_err(|e| HistoryError::Storage(format!("creating the PostgreSQL pool: {e}")))?;
        let c = pool.get().await.map_err(pool_err)?;
        let available = c
            .query_opt(
                "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'",
                &[],
            )
            .await
            .map_err(pg("checking for TimescaleDB"))?
            .is_some();
        let s = schema;
        let mut ddl = format!(
            "CREATE SCHEMA IF NOT EXISTS {s};
             CREATE TABLE IF NOT EXISTS {s}.series (
                 id serial PRIMARY KEY, twin text NOT NULL, name text NOT NULL,
                 kind text NOT NULL, model text NOT NULL, UNIQUE (twin, name));
             CREATE TABLE IF NOT EXISTS {s}.policies (scope text PRIMARY KEY, max_age bigint NOT NULL);"
        );
        let timescale = available
            && c.batch_execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
                .await
                .is_ok();
        let points = "series int NOT NULL, time bigint NOT NULL, ingest bigint NOT NULL,
                      seq bigint GENERATED ALWAYS AS IDENTITY, num double precision, val jsonb";
        if timescale {
            ddl.push_str(&format!(
                "CREATE TABLE IF NOT EXISTS {s}.points ({points});
                 SELECT create_hypertable('{s}.points', 'time', chunk_time_interval => {DAY}, if_not_exists => true);"
            ));
        } else {
            ddl.push_str(&format!(
                "CREATE TABLE IF NOT EXISTS {s}.points ({points}) PARTITION BY RANGE (time);"
            ));
        }
        ddl.push_str(&format!(
            "CREATE INDEX IF NOT EXISTS points_series_time ON {s}.points (series, time);"
        ));
        c.batch_execute(&ddl)
            .await
            .map_err(pg("creating the history tables"))?;
        tracing::info!(schema, timescale, "history on PostgreSQL");
        Ok(Postgres {
            pool,
            schema: schema.to_string(),
            timescale,
            ids: Mutex::default(),
            partitions: Mutex::default(),
        })
    }

    /// Whether points live in a TimescaleDB hypertable.
    pub fn timescale(&self) -> bool {
        self.timescale
    }

    async fn ensure_partitions(
        &self,
        c: &deadpool_postgres::Client,
        samples: &[Sample],
    ) -> Result<(), HistoryError> {
        if self.timescale {
            return Ok(());
        }
        let days: HashSet<i64> = samples
            .iter()
            .map(|s| s.point.time.div_euclid(DAY))
            .collect();
        let missing: Vec<i64> = {
            let known = self.partitions.lock();
            days.into_iter().filter(|d| !known.contains(d)).collect()
        };
        for day in missing {
            let name = if day < 0 {
                format!("points_m{}", -day)
            } else {
                format!("points_d{day}")
            };
            let sql = format!(
                "CREATE TABLE IF NOT EXISTS {}.{name} PARTITION OF {}.points FOR VALUES FROM ({}) TO ({})",
                self.schema,
                self.schema,
                day * DAY,
                (day + 1) * DAY
            );
            if let Err(e) = c.batch_execute(&sql).await {
                let dup = e.code().is_some_and(|c| {
                    *c == tokio_postgres::error::SqlState::DUPLICATE_TABLE
                        || *c == tokio_postgres::error::SqlState::UNIQUE_VIOLATION
                });
                if !dup {
                    return Err(pg("creating a history partition")(e));
                }
            }
            self.partitions.lock().insert(day);
        }
        Ok(())
    }

    async fn series_ids(
        &self,
        c: &deadpool_postgres::Client,
        samples: &[Sample],
    ) -> Result<Vec<i32>, HistoryError> {
        let mut out = Vec::with_capacity(samples.len());
        for s in samples {
            let known = self.ids.lock().get(&s.key).copied();
            let id = match known {
                Some(id) => id,
                None => {
                    let row = c
                        .query_one(
                            &format!(
                                "INSERT INTO {}.series (twin, name, kind, model) VALUES ($1, $2, $3, $4)
                                 ON CONFLICT (twin, name) DO UPDATE SET twin = EXCLUDED.twin RETURNING id",
                                self.schema
                            ),
                            &[&s.key.twin, &s.key.name, &s.kind.as_str(), &s.model],
                        )
                        .await
                        .map_err(pg("registering a history series"))?;
                    let id: i32 = row.get(0);
                    self.ids.lock().insert(s.key.clone(), id);
                    id
                }
            };
            out.push(id);
        }
        Ok(out)
    }

    async fn id(&self, key: &SeriesKey) -> Result<i32, HistoryError> {
        if let Some(id) = self.ids.lock().get(key) {
            return Ok(*id);
        }
        let c = self.pool.get().await.map_err(pool_err)?;
        let row = c
            .query_opt(
                &format!(
                    "SELECT id FROM {}.series WHERE twin = $1 AND name = $2",
                    self.schema
                ),
                &[&key.twin, &key.name],
            )
            .await
            .map_err(pg("finding a history series"))?;
        match row {
            Some(r) => {
                let id: i32 = r.get(0);
                self.ids.lock().insert(key.clone(), id);
                Ok(id)
            }
            None => Err(HistoryError::NotFound(format!(
                "twin '{}' has no history named '{}'",
                key.twin, key.name
            ))),
        }
    }
}

fn kind_of(s: &str) -> Kind {
    match s {
        "property" => Kind::Property,
        "lifecycle" => Kind::Lifecycle,
        _ => Kind::Telemetry,
    }
}

fn value_of(num: Option<f64>, val: Option<String>) -> serde_json::Value {
    match (num, val) {
        (Some(n), _) if n.fract() == 0.0 && n.abs() < 9.0e15 => serde_json::Value::from(n as i64),
        (Some(n), _) => serde_json::Number::from_f64(n).map_or(serde_json::Value::Null, Into::into),
        (None, Some(v)) => serde_json::from_str(&v).unwrap_or(serde_json::Value::Null),
        (None, None) => serde_json::Value::Null,
    }
}

fn point_of(r: &tokio_postgres::Row, at: usize) -> Point {
    Point {
        time: r.get(at),
        ingest: r.get(at + 1),
        value: value_of(r.get(at + 2), r.get(at + 3)),
    }
}

const NUMBER: &str =
    "coalesce(num, CASE val WHEN 'true'::jsonb THEN 1 WHEN 'false'::jsonb THEN 0 END)";

#[async_trait]
impl HistoryStore for Postgres {
    fn engine(&self) -> &'static str {
        "postgres"
    }

    async fn append(&self, samples: Vec<Sample>) -> Result<(), HistoryError> {
        if samples.is_empty() {
            return Ok(());
        }
        for s in &samples {
            s.check()?;
        }
        let c = self.pool.get().await.map_err(pool_err)?;
        self.ensure_partitions(&c, &samples).await?;
        let ids = self.series_ids(&c, &samples).await?;
        let mut times = Vec::with_capacity(samples.len());
        let mut ingests = Vec::with_capacity(samples.len());
        let mut nums: Vec<Option<f64>> = Vec::with_capacity(samples.len());
        let mut vals: Vec<Option<String>> = Vec::with_capacity(samples.len());
        for s in &samples {
            times.push(s.point.time);
            ingests.push(crate::sample::to_millis(s.point.ingest));
            match &s.point.value {
                serde_json::Value::Number(n) if n.as_f64().is_some() => {
                    nums.push(n.as_f64());
                    vals.push(None);
                }
                other => {
                    nums.push(None);
                    vals.push(Some(other.to_string()));
                }
            }
        }
        let params: [&(dyn ToSql + Sync); 5] = [&ids, &times, &ingests, &nums, &vals];
        c.execute(
            &format!(
                "INSERT INTO {}.points (series, time, ingest, num, val)
                 SELECT s, t, i, n, v::jsonb FROM UNNEST($1::int[], $2::bigint[], $3::bigint[], $4::float8[], $5::text[]) AS u(s, t, i, n, v)",
                self.schema
            ),
            &params,
        )
        .await
        .map_err(pg("writing history points"))?;
        Ok(())
    }

    async fn series(&self, twin: &str) -> Result<Vec<SeriesInfo>, HistoryError> {
        let c = self.pool.get().await.map_err(pool_err)?;
        let rows = c
            .query(
                &format!(
                    "SELECT name, kind, model FROM {}.series WHERE twin = $1 ORDER BY name",
                    self.schema
                ),
                &[&twin],
            )
            .await
            .map_err(pg("listing history series"))?;
        Ok(rows
            .iter()
            .map(|r| SeriesInfo {
                key: SeriesKey::new(twin, r.get::<_, String>(0)),
                kind: kind_of(r.get(1)),
                model: r.get(2),
            })
            .collect())
    }

    async fn raw(
        &self,
        key: &SeriesKey,
        range: TimeRange,
        cursor: Option<Cursor>,
        limit: usize,
    ) -> Result<Page, HistoryError> {
        let limit = limit.max(1);
        let id = self.id(key).await?;
        let from = cursor.map_or(range.from, |c| c.time.max(range.from));
        let skip = cursor
            .filter(|c| c.time >= range.from)
            .map_or(0, |c| i64::from(c.skip));
        let c = self.pool.get().await.map_err(pool_err)?;
        let rows = c
            .query(
                &format!(
                    "SELECT time, ingest, num, val::text FROM {}.points
                     WHERE series = $1 AND time >= $2 AND time < $3
                     ORDER BY time, ingest, seq LIMIT $4 OFFSET $5",
                    self.schema
                ),
                &[&id, &from, &range.to, &(limit as i64 + 1), &skip],
            )
            .await
            .map_err(pg("reading history points"))?;
        let points: Vec<Point> = rows.iter().map(|r| point_of(r, 0)).collect();
        Ok(Page::new(points, limit, from, skip as u32))
    }

    async fn aggregate(
        &self,
        key: &SeriesKey,
        range: TimeRange,
        buckets: u32,
    ) -> Result<Vec<Bucket>, HistoryError> {
        let width = bucket_width(range, buckets)?;
        let id = self.id(key).await?;
        let c = self.pool.get().await.map_err(pool_err)?;
        let rows = c
            .query(
                &format!(
                    "SELECT (time - $2) / $4 AS b, count(v), min(v), max(v), avg(v), stddev_pop(v),
                            (array_agg(v ORDER BY time, ingest, seq))[1],
                            (array_agg(v ORDER BY time DESC, ingest DESC, seq DESC))[1]
                     FROM (SELECT time, ingest, seq, {NUMBER} AS v FROM {}.points
                           WHERE series = $1 AND time >= $2 AND time < $3) p
                     WHERE v IS NOT NULL AND v <> 'NaN'::float8
                     GROUP BY b ORDER BY b",
                    self.schema
                ),
                &[&id, &range.from, &range.to, &width],
            )
            .await
            .map_err(pg("aggregating history"))?;
        Ok(rows
            .iter()
            .map(|r| Bucket {
                start: range.from + r.get::<_, i64>(0) * width,
                count: r.get::<_, i64>(1) as u64,
                min: r.get(2),
                max: r.get(3),
                avg: r.get(4),
                stddev: r.get(5),
                first: r.get(6),
                last: r.get(7),
            })
            .collect())
    }

    async fn latest(&self, keys: &[SeriesKey]) -> Result<Vec<Option<Point>>, HistoryError> {
        let c = self.pool.get().await.map_err(pool_err)?;
        let twins: Vec<&str> = keys.iter().map(|k| k.twin.as_str()).collect();
        let names: Vec<&str> = keys.iter().map(|k| k.name.as_str()).collect();
        let rows = c
            .query(
                &format!(
                    "SELECT k.i, p.time, p.ingest, p.num, p.val::text
                     FROM UNNEST($1::text[], $2::text[]) WITH ORDINALITY AS k(twin, name, i)
                     JOIN {s}.series s ON s.twin = k.twin AND s.name = k.name
                     CROSS JOIN LATERAL (SELECT time, ingest, num, val FROM {s}.points
                                         WHERE series = s.id ORDER BY time DESC, ingest DESC, seq DESC LIMIT 1) p",
                    s = self.schema
                ),
                &[&twins, &names],
            )
            .await
            .map_err(pg("reading latest history values"))?;
        let mut out = vec![None; keys.len()];
        for r in &rows {
            let i: i64 = r.get(0);
            out[(i - 1) as usize] = Some(point_of(r, 1));
        }
        Ok(out)
    }

    async fn last_at(&self, twin: &str, at: i64) -> Result<Vec<(SeriesInfo, Point)>, HistoryError> {
        let c = self.pool.get().await.map_err(pool_err)?;
        let rows = c
            .query(
                &format!(
                    "SELECT s.name, s.kind, s.model, p.time, p.ingest, p.num, p.val::text
                     FROM {s}.series s
                     CROSS JOIN LATERAL (SELECT time, ingest, num, val FROM {s}.points
                                         WHERE series = s.id AND time <= $2
                                         ORDER BY time DESC, ingest DESC, seq DESC LIMIT 1) p
                     WHERE s.twin = $1 ORDER BY s.name",
                    s = self.schema
                ),
                &[&twin, &at],
            )
            .await
            .map_err(pg("reading history at a time"))?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    SeriesInfo {
                        key: SeriesKey::new(twin, r.get::<_, String>(0)),
                        kind: kind_of(r.get(1)),
                        model: r.get(2),
                    },
                    point_of(r, 3),
                )
            })
            .collect())
    }

    async fn set_retention(&self, scope: Scope, max_age: Option<i64>) -> Result<(), HistoryError> {
        if max_age.is_some_and(|a| a <= 0) {
            return Err(HistoryError::Invalid(
                "a retention period must be positive".into(),
            ));
        }
        let c = self.pool.get().await.map_err(pool_err)?;
        let key = scope.key();
        match max_age {
            Some(a) => {
                c.execute(
                    &format!(
                        "INSERT INTO {}.policies (scope, max_age) VALUES ($1, $2)
                         ON CONFLICT (scope) DO UPDATE SET max_age = EXCLUDED.max_age",
                        self.schema
                    ),
                    &[&key, &a],
                )
                .await
            }
            None => {
                c.execute(
                    &format!("DELETE FROM {}.policies WHERE scope = $1", self.schema),
                    &[&key],
                )
                .await
            }
        }
        .map_err(pg("saving the retention policy"))?;
        Ok(())
    }

    async fn retention(&self) -> Result<Vec<(Scope, i64)>, HistoryError> {
        let c = self.pool.get().await.map_err(pool_err)?;
        let rows = c
            .query(
                &format!("SELECT scope, max_age FROM {}.policies", self.schema),
                &[],
            )
            .await
            .map_err(pg("reading retention policies"))?;
        let mut out: Vec<(Scope, i64)> = rows
            .iter()
            .filter_map(|r| Some((Scope::from_key(r.get(0))?, r.get(1))))
            .collect();
        out.sort();
        Ok(out)
    }

    async fn enforce_retention(&self, now: i64) -> Result<u64, HistoryError> {
        let c = self.pool.get().await.map_err(pool_err)?;
        let n = c
            .execute(
                &format!(
                    "WITH pol AS (
                        SELECT s.id, coalesce(
                            (SELECT max_age FROM {s}.policies WHERE scope = 't:' || s.twin),
                            (SELECT max_age FROM {s}.policies WHERE scope = 'm:' || s.model),
                            (SELECT max_age FROM {s}.policies WHERE scope = 'd')) AS age
                        FROM {s}.series s)
                     DELETE FROM {s}.points p USING pol
                     WHERE p.series = pol.id AND pol.age IS NOT NULL AND p.time < $1 - pol.age",
                    s = self.schema
                ),
                &[&now],
            )
            .await
            .map_err(pg("deleting expired history"))?;
        Ok(n)
    }

    async fn stats(&self) -> Result<Stats, HistoryError> {
        let c = self.pool.get().await.map_err(pool_err)?;
        let s = &self.schema;
        let row = c
            .query_one(
                &format!(
                    "SELECT (SELECT count(*) FROM {s}.series), (SELECT count(*) FROM {s}.points),
                            (SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c
                             JOIN pg_namespace n ON n.oid = c.relnamespace
                             WHERE n.nspname = $1 AND c.relkind IN ('r', 'p'))"
                ),
                &[&self.schema],
            )
            .await
            .map_err(pg("reading history size"))?;
        Ok(Stats {
            series: row.get::<_, i64>(0) as u64,
            points: row.get::<_, i64>(1) as u64,
            disk_bytes: row.get::<_, i64>(2) as u64,
        })
    }

    async fn close(&self) -> Result<(), HistoryError> {
        self.pool.close();
        Ok(())
    }
}
