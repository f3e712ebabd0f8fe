//! The query language, case by case: a fixture graph, and queries with
//! the rows they must return, through one `check` helper. Twin documents
//! in results are shown by `$dtId` and relationship documents by
//! `$relationshipId`, so expectations stay readable; one test checks the
//! full document shape.

#[path = "queries/fixture.rs"]
mod fixture;

use ferrotwin_query::{Cursor, Page, QueryError, RunOptions, run};
use serde_json::{Value, json};

/// Runs `q` on the fixture, returning every row.
fn query(q: &str) -> Result<Page, QueryError> {
    fixture::graph().view(|v| run(v, q, None, RunOptions::default()))
}

/// Replaces twin and relationship documents by their ids.
fn short(v: &Value) -> Value {
    match v {
        Value::Object(m) if m.contains_key("$dtId") && m.contains_key("$etag") => {
            m["$dtId"].clone()
        }
        Value::Object(m) if m.contains_key("$relationshipId") && m.contains_key("$etag") => {
            m["$relationshipId"].clone()
        }
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), short(v))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(short).collect()),
        other => other.clone(),
    }
}

/// Asserts that `q` returns `expected` (documents shortened to ids).
#[track_caller]
fn check(q: &str, expected: Value) {
    let page = query(q).unwrap_or_else(|e| panic!("{q}\n  failed: {e}"));
    let got = Value::Array(page.rows.iter().map(short).collect());
    assert_eq!(got, expected, "\n  query: {q}");
}

/// Asserts that `q` fails at `line`:`column` with a message containing `text`.
#[track_caller]
fn check_err(q: &str, line: u32, column: u32, text: &str) {
    match query(q) {
        Ok(p) => panic!("{q}\n  should fail but returned {:?}", p.rows),
        Err(
            QueryError::Syntax {
                line: l,
                column: c,
                message,
            }
            | QueryError::Semantic {
                line: l,
                column: c,
                message,
            },
        ) => {
            assert_eq!((l, c), (line, column), "{q}\n  message: {message}");
            assert!(
                message.contains(text),
                "{q}\n  message '{message}' lacks '{text}'"
            );
        }
        Err(e) => panic!("{q}\n  unexpected error {e}"),
    }
}

/// Runs `q` page by page with `size` rows a page; returns the pages.
fn pages(q: &str, size: usize) -> Vec<Vec<Value>> {
    let mut out = Vec::new();
    let mut cursor: Option<Cursor> = None;
    loop {
        let opts = RunOptions {
            page_size: size,
            ..RunOptions::default()
        };
        let page = fixture::graph()
            .view(|v| run(v, q, cursor, opts))
            .expect("query");
        out.push(page.rows.iter().map(short).collect());
        // A cursor survives its text form, as the HTTP token carries it.
        match page.next {
            Some(c) => cursor = Some(Cursor::decode(&c.encode()).expect("cursor")),
            None => return out,
        }
        assert!(out.len() < 100, "paging does not end");
    }
}

#[test]
fn select_star_projections_count_and_top() {
    check(
        "SELECT * FROM DIGITALTWINS",
        json!([
            "ABC",
            "floor1",
            "floor2",
            "room1",
            "room2",
            "room3",
            "room4",
            "sensor1",
            "thermostat-15",
            "crew1"
        ]),
    );
    check(
        "SELECT T FROM DIGITALTWINS T WHERE T.Temperature > 75",
        json!([{"T": "room2"}, {"T": "room4"}]),
    );
    // A bare name is a property of the only collection; missing ones are left out.
    check(
        "SELECT name, Temperature FROM DIGITALTWINS WHERE IS_OF_MODEL('dtmi:test:Room;1')",
        json!([{"name": "R1", "Temperature": 70}, {"name": "R2", "Temperature": 85}, {"name": "R3"}, {"name": "R4", "Temperature": 80}]),
    );
    check(
        "SELECT T.name, T.$dtId AS id, T.Location.y AS y FROM DIGITALTWINS T WHERE T.$dtId IN ['room1', 'floor1']",
        json!([{"name": "F1", "id": "floor1"}, {"name": "R1", "id": "room1", "y": 2.0}]),
    );
    check(
        "SELECT T.$metadata.$model AS m FROM DIGITALTWINS T WHERE T.$dtId = 'room1'",
        json!([{"m": "dtmi:test:Room;1"}]),
    );
    check("SELECT COUNT() FROM DIGITALTWINS", json!([{"COUNT": 10}]));
    check("SELECT COUNT() FROM RELATIONSHIPS", json!([{"COUNT": 11}]));
    check(
        "SELECT COUNT() FROM DIGITALTWINS c WHERE IS_OF_MODEL('dtmi:test:Room;1') AND c.Capacity > 5",
        json!([{"COUNT": 2}]),
    );
    check(
        "SELECT TOP(3) FROM DIGITALTWINS",
        json!(["ABC", "floor1", "floor2"]),
    );
    check(
        "SELECT TOP (2) * FROM DIGITALTWINS WHERE STARTSWITH($dtId, 'room')",
        json!(["room1", "room2"]),
    );
    check(
        "SELECT TOP(2) T.name FROM DIGITALTWINS T WHERE IS_OF_MODEL('dtmi:test:Room;1')",
        json!([{"name": "R1"}, {"name": "R2"}]),
    );
    // Keywords in any case; property names keep theirs.
    check(
        "select * from digitaltwins t where t.$dtId = 'floor2'",
        json!(["floor2"]),
    );
    check(
        "SELECT * FROM DIGITALTWINS WHERE temperature = 70",
        json!([]),
    );
    check(
        "SELECT * FROM DIGITALTWINS WHERE $dtid = 'room1'",
        json!([]),
    );
}

#[test]
fn select_star_returns_the_adt_document() {
    let page = query("SELECT * FROM DIGITALTWINS WHERE $dtId = 'room1'").unwrap();
    let doc = &page.rows[0];
    let twin = fixture::graph().twin("room1").unwrap();
    assert_eq!(doc, &twin.to_document());
    assert_eq!(doc["$metadata"]["$model"], "dtmi:test:Room;1");
    let page = query("SELECT R FROM RELATIONSHIPS R WHERE R.$relationshipId = 'r1-crew'").unwrap();
    let rel = fixture::graph().relationship("room1", "r1-crew").unwrap();
    assert_eq!(page.rows, vec![json!({"R": rel.to_document()})]);
    let page =
        query("SELECT T.$metadata.Temperature AS t FROM DIGITALTWINS T WHERE T.$dtId = 'room1'")
            .unwrap();
    assert!(
        page.rows[0]["t"]["lastUpdateTime"].is_string(),
        "{:?}",
        page.rows
    );
}

#[test]
fn where_operators() {
    check(
        "SELECT * FROM DIGITALTWINS DT WHERE DT.Temperature = 80",
        json!(["room4"]),
    );
    check(
        "SELECT * FROM DIGITALTWINS DT WHERE DT.Temperature = 85.0",
        json!(["room2"]),
    );
    check(
        "SELECT * FROM DIGITALTWINS WHERE Temperature != 70",
        json!(["room2", "room4"]),
    );
    check(
        "SELECT * FROM DIGITALTWINS WHERE Temperature <> 70 AND Temperature < 85",
        json!(["room4"]),
    );
    check(
        "SELECT * FROM DIGITALTWINS WHERE Temperature <= 80",
        json!(["room1", "room4"]),
    );
    check(
        "SELECT * FROM DIGITALTWINS WHERE Temperature >= 80 OR Humidity <= 40",
        json!(["room1", "room2", "room4"]),
    );
    // Comparing a missing property is undefined, and NOT keeps it undefined.
    check(
        "SELECT * FROM DIGITALTWINS WHERE NOT Temperature < 80",
        json!(["room2", "room4"]),
    );
    check(
        "SELECT * FROM DIGITALTWINS WHERE NOT (Temperature < 80 OR owner = 'Anil')",
        json!(["room4"]),
    );
    // Values of different types never compare.
    check(
        "SELECT * FROM DIGITALTWINS WHERE Temperature > '1'",
        json!([]),
    );
    check(
        "SELECT * FROM DIGITALTWINS DT WHERE DT.owner IN ['John', 'Anil']",
        json!(["room1", "room2"]),
    );
    check(
        "SELECT * FROM DIGITALTWINS DT WHERE DT.owner NIN ['John', 'Anil']",
        json!(["room4"]),
    );
    check(
        "SELECT * FROM DIGITALTWINS DT WHERE DT.owner NOT IN ['John', 'Anil']",
        json!(["room4"]),
    );
    check(
        "SELECT * FROM DIGITALTWINS WHERE Capacity IN [0, 25]",
        json!(["room2", "room3"]),
    );
    check(
        "SELECT * FROM DIGITALTWINS WHERE Temperature > -1 AND Temperature < 7.5e1",
        json!(["room1"]),
    );
    // Nested paths, escapes, quoted reserved words, booleans, $metadata.
    check(
        "SELECT * FROM DIGITALTWINS WHERE Location.x = 1",
        json!(["room1"]),
    );
    check(
        "SELECT * FROM DIGITALTWINS WHERE tags.size = 'small'",
        json!(["room1"]),
    );
    check(
        r"SELECT * FROM DIGITALTWINS WHERE Name = 'D\'Souza'",
        json!(["room1"]),
    );
    check(
        r#"SELECT * FROM DIGITALTWINS WHERE Name = "D'Souza""#,
        json!(["room1"]),
    );
    check(
        "SELECT * FROM DIGITALTWINS WHERE [[Group]] = 'BravoTeam'",
        json!(["room1"]),
    );
    check(
        "SELECT * FROM DIGITALTWINS WHERE HasTemperature = true",
        json!(["room1"]),
    );
    check(
        "SELECT * FROM DIGITALTWINS WHERE HasTemperature",
        json!(["room1"]),
    );
    check(
        "SELECT * FROM DIGITALTWINS WHERE $metadata.$model = 'dtmi:test:Floor;1'",
        json!(["floor1", "floor2"]),
    );
    check(
        "SELECT * FROM DIGITALTWINS T WHERE T.floor_number = [3]",
        json!(["room2"]),
    );
}

#[test]
fn functions() {
    check(
        "SELECT * FROM DIGITALTWINS WHERE IS_OF_MODEL('dtmi:test:Sensor;1')",
        json!(["sensor1", "thermostat-15"]),
    );
    check(
        "SELECT * FROM DIGITALTWINS WHERE IS_OF_MODEL('dtmi:test:Sensor;1', exact)",
        json!(["sensor1"]),
    );
    check(
        "SELECT * FROM DIGITALTWINS DT WHERE IS_OF_MODEL(DT, 'dtmi:test:Space;1', EXACT)",
        json!([]),
    );
    check(
        "SELECT * FROM DIGITALTWINS T WHERE IS_OF_MODEL(T, 'dtmi:test:Space;1') AND T.Capacity > 5",
        json!(["room1", "room2"]),
    );
    check(
        "SELECT * FROM DIGITALTWINS WHERE is_of_model('dtmi:test:Nothing;1')",
        json!([]),
    );
    check(
        "SELECT * FROM DIGITALTWINS WHERE NOT IS_OF_MODEL('dtmi:test:Space;1')",
        json!(["sensor1", "thermostat-15", "crew1"]),
    );
    check(
        "SELECT * FROM DIGITALTWINS WHERE IS_DEFINED(tags.red)",
        json!(["room1"]),
    );
    check(
        "SELECT * FROM DIGITALTWINS WHERE NOT IS_DEFINED(tags.red) AND IS_DEFINED(tags.round)",
        json!(["room2", "room3"]),
    );
    check(
        "SELECT * FROM DIGITALTWINS WHERE IS_BOOL(HasTemperature) AND HasTemperature != false",
        json!(["room1"]),
    );
    check(
        "SELECT * FROM DIGITALTWINS WHERE IS_NUMBER(Capacity) AND Capacity != 0",
        json!(["room1", "room2"]),
    );
    check(
        "SELECT * FROM DIGITALTWINS WHERE IS_STRING(Status) AND Status != 'Completed'",
        json!(["room3"]),
    );
    check(
        "SELECT * FROM DIGITALTWINS WHERE IS_OBJECT(Location) AND NOT IS_DEFINED(Location.z)",
        json!(["room1"]),
    );
    check(
        "SELECT * FROM DIGITALTWINS WHERE IS_OBJECT(tags) AND NOT IS_PRIMITIVE(tags)",
        json!(["room1", "room2", "room3"]),
    );
    check(
        "SELECT * FROM DIGITALTWINS WHERE IS_PRIMITIVE(Capacity) AND IS_NUMBER(Capacity)",
        json!(["room1", "room2", "room3"]),
    );
    check(
        "SELECT * FROM DIGITALTWINS WHERE IS_NULL(Status)",
        json!([]),
    );
    check(
        "SELECT * FROM DIGITALTWINS WHERE NOT IS_NULL(Status)",
        json!([
            "ABC",
            "floor1",
            "floor2",
            "room1",
            "room2",
            "room3",
            "room4",
            "sensor1",
            "thermostat-15",
            "crew1"
        ]),
    );
    check(
        "SELECT * FROM DIGITALTWINS T WHERE STARTSWITH(T.$dtId, 'room') AND IS_DEFINED(T.owner)",
        json!(["room1", "room2", "room4"]),
    );
    check(
        "SELECT * FROM DIGITALTWINS WHERE ENDSWITH($dtId, '-15') OR CONTAINS($dtId, 'oor2')",
        json!(["floor2", "thermostat-15"]),
    );
    check(
        "SELECT T.name FROM DIGITALTWINS T WHERE ARRAY_CONTAINS(T.floor_number, 2)",
        json!([{"name": "R1"}]),
    );
    check(
        "SELECT T.name FROM DIGITALTWINS T WHERE ARRAY_CONTAINS(T.floor_number, 3.0)",
        json!([{"name": "R2"}]),
    );
    // Functions on a value of the wrong type are undefined, not errors.
    check(
        "SELECT * FROM DIGITALTWINS WHERE STARTSWITH(Capacity, '1')",
        json!([]),
    );
}

#[test]
fn from_relationships() {
    check(
        "SELECT * FROM RELATIONSHIPS WHERE $sourceId IN ['room1', 'room2']",
        json!(["r1-s1", "r2-t15", "r1-crew", "r2-crew"]),
    );
    check(
        "SELECT R.$relationshipId AS id, R.reportedCondition FROM RELATIONSHIPS R WHERE R.$relationshipName = 'servicedBy'",
        json!([{"id": "r1-crew", "reportedCondition": "clean"}, {"id": "r2-crew", "reportedCondition": "dirty"}]),
    );
    check(
        "SELECT * FROM RELATIONSHIPS WHERE $targetId = 'crew1' AND reportedCondition = 'dirty'",
        json!(["r2-crew"]),
    );
    check(
        "SELECT COUNT() FROM RELATIONSHIPS R WHERE R.$relationshipName = 'contains'",
        json!([{"COUNT": 8}]),
    );
}

#[test]
fn joins() {
    check(
        "SELECT T, CT FROM DIGITALTWINS T JOIN CT RELATED T.contains WHERE T.$dtId = 'ABC'",
        json!([{"T": "ABC", "CT": "floor1"}, {"T": "ABC", "CT": "floor2"}]),
    );
    // From the target back to the source, through the incoming index.
    check(
        "SELECT source FROM DIGITALTWINS source JOIN target RELATED source.contains WHERE target.$dtId = 'room2'",
        json!([{"source": "floor1"}]),
    );
    check(
        "SELECT T, SBT, R FROM DIGITALTWINS T JOIN SBT RELATED T.servicedBy R WHERE T.$dtId = 'room1' AND R.reportedCondition = 'clean'",
        json!([{"T": "room1", "SBT": "crew1", "R": "r1-crew"}]),
    );
    check(
        "SELECT Consumer.name AS consumerName, Edge.reportedCondition AS c, Factory FROM DIGITALTWINS Factory JOIN Consumer RELATED Factory.servicedBy Edge WHERE Factory.$dtId IN ['room1', 'room2']",
        json!([{"consumerName": "Crew", "c": "clean", "Factory": "room1"}, {"consumerName": "Crew", "c": "dirty", "Factory": "room2"}]),
    );
    check(
        "SELECT LightBulb FROM DIGITALTWINS Room JOIN LightPanel RELATED Room.contains JOIN LightBulb RELATED LightPanel.contains WHERE Room.$dtId IN ['ABC']",
        json!([{"LightBulb": "room1"}, {"LightBulb": "room2"}, {"LightBulb": "room3"}, {"LightBulb": "room4"}]),
    );
    // Six levels: more than ADT's five.
    check(
        "SELECT E FROM DIGITALTWINS A JOIN B RELATED A.contains JOIN C RELATED B.contains JOIN D RELATED C.contains \
         JOIN E RELATED D.isAssociatedWith JOIN F RELATED E.contains JOIN G RELATED F.servicedBy WHERE A.$dtId = 'ABC'",
        json!([{"E": "floor1"}, {"E": "floor1"}]),
    );
    check(
        "SELECT C FROM DIGITALTWINS B JOIN F RELATED B.contains JOIN R RELATED F.contains JOIN C RELATED R.servicedBy WHERE B.$dtId = 'ABC' AND R.Temperature > 80",
        json!([{"C": "crew1"}]),
    );
    check(
        "SELECT COUNT() FROM DIGITALTWINS B JOIN F RELATED B.contains JOIN R RELATED F.contains WHERE IS_OF_MODEL(R, 'dtmi:test:Room;1')",
        json!([{"COUNT": 4}]),
    );
    check(
        "SELECT B, F FROM DIGITALTWINS B JOIN F RELATED B.contains WHERE F.name = 'F2'",
        json!([{"B": "ABC", "F": "floor2"}]),
    );
    // Collection names match in any case when no exact match exists.
    check(
        "SELECT room FROM DIGITALTWINS Floor JOIN Room RELATED floor.contains WHERE FLOOR.$dtId = 'floor2'",
        json!([{"Room": "room4"}]),
    );
}

#[test]
fn match_patterns() {
    check(
        "SELECT A, B FROM DIGITALTWINS MATCH (A)-[:contains]->(B) WHERE A.$dtId = 'room1'",
        json!([{"A": "room1", "B": "sensor1"}]),
    );
    check(
        "SELECT A, B FROM DIGITALTWINS MATCH (A)<-[:contains]-(B) WHERE A.$dtId = 'room1'",
        json!([{"A": "room1", "B": "floor1"}]),
    );
    check(
        "SELECT A, B FROM DIGITALTWINS MATCH (A)-[]-(B) WHERE A.$dtId = 'floor1'",
        json!([{"A": "floor1", "B": "room1"}, {"A": "floor1", "B": "room2"}, {"A": "floor1", "B": "room3"}, {"A": "floor1", "B": "ABC"}, {"A": "floor1", "B": "thermostat-15"}]),
    );
    check(
        "SELECT A, B FROM DIGITALTWINS MATCH (A)-[:servicedBy|isAssociatedWith]-(B) WHERE A.$dtId IN ['room2', 'thermostat-15']",
        json!([{"A": "room2", "B": "crew1"}, {"A": "thermostat-15", "B": "floor1"}]),
    );
    check(
        "SELECT A, r, B FROM DIGITALTWINS MATCH (A)-[r:servicedBy]->(B) WHERE A.$dtId = 'room2' AND r.reportedCondition = 'dirty'",
        json!([{"A": "room2", "r": "r2-crew", "B": "crew1"}]),
    );
    // Exactly two hops.
    check(
        "SELECT A, B FROM DIGITALTWINS MATCH (A)-[*2]->(B) WHERE A.$dtId = 'ABC'",
        json!([{"A": "ABC", "B": "room1"}, {"A": "ABC", "B": "room2"}, {"A": "ABC", "B": "room3"}, {"A": "ABC", "B": "room4"}]),
    );
    // `*..2` is one or two hops, nearest twins first; `*1..3` excludes
    // its lower bound: two or three.
    check(
        "SELECT B FROM DIGITALTWINS MATCH (A)-[:contains*..2]->(B) WHERE A.$dtId = 'floor1'",
        json!([{"B": "room1"}, {"B": "room2"}, {"B": "room3"}, {"B": "sensor1"}, {"B": "thermostat-15"}]),
    );
    check(
        "SELECT B FROM DIGITALTWINS MATCH (A)-[:contains*1..3]->(B) WHERE A.$dtId = 'ABC'",
        json!([{"B": "room1"}, {"B": "sensor1"}, {"B": "room2"}, {"B": "thermostat-15"}, {"B": "room3"}, {"B": "room4"}]),
    );
    // Cycles are detected: no twin appears twice on a path.
    check(
        "SELECT B FROM DIGITALTWINS MATCH (A)-[*..5]->(B) WHERE A.$dtId = 'room2'",
        json!([{"B": "crew1"}, {"B": "thermostat-15"}, {"B": "floor1"}, {"B": "room1"}, {"B": "room3"}, {"B": "sensor1"}]),
    );
    check(
        "SELECT A, B, C FROM DIGITALTWINS MATCH (A)-[:contains]->(B)-[:servicedBy]->(C) WHERE A.$dtId = 'floor1' AND B.Temperature > 75",
        json!([{"A": "floor1", "B": "room2", "C": "crew1"}]),
    );
    // A pattern that closes a cycle binds its first twin again.
    check(
        "SELECT A, B FROM DIGITALTWINS MATCH (A)-[:contains]->(B)-[:contains]->(C)-[:isAssociatedWith]->(A) WHERE C.$dtId = 'thermostat-15'",
        json!([{"A": "floor1", "B": "room2"}]),
    );
    check(
        "SELECT A FROM DIGITALTWINS MATCH (A) WHERE A.$dtId = 'crew1'",
        json!([{"A": "crew1"}]),
    );
    check(
        "SELECT B FROM DIGITALTWINS MATCH A-[:contains]->B WHERE A.$dtId = 'floor2'",
        json!([{"B": "room4"}]),
    );
    check(
        "SELECT B FROM DIGITALTWINS MATCH (A)-[:contains]->()-[:contains]->(B) WHERE A.$dtId = 'floor1'",
        json!([{"B": "sensor1"}, {"B": "thermostat-15"}]),
    );
}

#[test]
fn errors_say_where_and_what() {
    // TOP limits rows, and COUNT() returns one: the two do not combine.
    check_err(
        "SELECT TOP(2) COUNT() FROM DIGITALTWINS",
        1,
        15,
        "COUNT() cannot follow TOP(n)",
    );
    check_err(
        "SELECT * FROM DIGITALTWINS WHERE",
        1,
        33,
        "expected a value",
    );
    check_err(
        "SELECT * FORM DIGITALTWINS",
        1,
        10,
        "expected FROM, found 'FORM'",
    );
    check_err(
        "SELECT T.name\nFROM DIGITALTWINS T\nWHERE T.a = 1 AND\n  T.b = @x",
        4,
        9,
        "unexpected character '@'",
    );
    check_err(
        "SELECT * FROM DIGITALTWINS WHERE Group = 'x'",
        1,
        34,
        "reserved word 'Group'",
    );
    check_err(
        "SELECT * FROM DIGITALTWINS T JOIN C RELATED T.contains WHERE T.$dtId = 'ABC'",
        1,
        1,
        "SELECT * is valid only without JOIN",
    );
    check_err(
        "SELECT X FROM DIGITALTWINS T JOIN C RELATED T.contains",
        1,
        8,
        "'X' is not a collection",
    );
    check_err(
        "SELECT C FROM DIGITALTWINS T JOIN C RELATED Q.contains",
        1,
        45,
        "'Q' is not a collection",
    );
    check_err(
        "SELECT T FROM DIGITALTWINS T JOIN T RELATED T.contains",
        1,
        35,
        "used twice",
    );
    check_err(
        "SELECT * FROM DIGITALTWINS WHERE FOO(x)",
        1,
        34,
        "unknown function 'FOO'",
    );
    check_err(
        "SELECT * FROM DIGITALTWINS WHERE STARTSWITH(x)",
        1,
        34,
        "takes 2 argument(s)",
    );
    check_err(
        "SELECT * FROM DIGITALTWINS WHERE name = 'abc",
        1,
        41,
        "no closing",
    );
    check_err(
        "SELECT * FROM DIGITALTWINS WHERE name IN ['a', ..'b']",
        1,
        48,
        "expected a literal value",
    );
    check_err(
        "SELECT * FROM DIGITALTWINS ORDER BY name",
        1,
        28,
        "ORDER BY is not supported",
    );
    check_err(
        "SELECT * FROM DIGITALTWINS T WHERE T.a = 1 T.b = 2",
        1,
        44,
        "expected AND, OR or the end of the query",
    );
    check_err(
        "SELECT A, B FROM DIGITALTWINS MATCH (A)<-[]->(B)",
        1,
        40,
        "one way only",
    );
    check_err(
        "SELECT A FROM DIGITALTWINS MATCH (A)-[r*2]->(B)",
        1,
        40,
        "only on a single hop",
    );
    check_err(
        "SELECT A FROM DIGITALTWINS MATCH (A-[]-(B)",
        1,
        36,
        "expected ')'",
    );
    check_err(
        "SELECT A FROM DIGITALTWINS MATCH (A)-[*3..2]->(B)",
        1,
        40,
        "allows no path length",
    );
    check_err(
        "SELECT TOP(0) FROM DIGITALTWINS",
        1,
        12,
        "positive whole number",
    );
    check_err(
        "SELECT * FROM DIGITALTWINS T WHERE IS_OF_MODEL(X, 'dtmi:a;1')",
        1,
        48,
        "'X' is not a collection",
    );
    check_err(
        "SELECT * FROM DIGITALTWINS T WHERE IS_OF_MODEL(T, 'dtmi:a;1', sloppy)",
        1,
        63,
        "optional 'exact'",
    );
    check_err(
        "SELECT A FROM DIGITALTWINS A JOIN B RELATED A.contains WHERE IS_OF_MODEL('dtmi:a;1')",
        1,
        62,
        "must name its twin collection",
    );
    check_err(
        "SELECT R FROM RELATIONSHIPS R WHERE IS_OF_MODEL(R, 'dtmi:a;1')",
        1,
        37,
        "holds relationships",
    );
    check_err(
        "SELECT * FROM DIGITALTWINS WHERE 'a\\qb' = x",
        1,
        36,
        "unknown escape",
    );
    check_err("EXPLAIN FROM DIGITALTWINS", 1, 9, "expected SELECT");
    check_err(
        "SELECT * FROM DIGITALTWINS WHERE IS_OF_MODEL(\n  42)",
        2,
        3,
        "model id string",
    );
    assert!(matches!(
        Cursor::decode("1.x.3"),
        Err(QueryError::BadCursor(_))
    ));
}

#[test]
fn paging_resumes_where_the_last_page_stopped() {
    let all = "SELECT * FROM DIGITALTWINS";
    let p = pages(all, 3);
    assert_eq!(p.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 3, 1]);
    assert_eq!(
        Value::Array(p.concat()),
        short(&Value::Array(query(all).unwrap().rows))
    );
    // Pages split the rows of one root twin, too.
    let q = "SELECT T, C FROM DIGITALTWINS T JOIN C RELATED T.contains WHERE IS_OF_MODEL(T, 'dtmi:test:Floor;1')";
    let p = pages(q, 2);
    assert_eq!(p.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2]);
    assert_eq!(
        Value::Array(p.concat()),
        json!([{"T": "floor1", "C": "room1"}, {"T": "floor1", "C": "room2"}, {"T": "floor1", "C": "room3"}, {"T": "floor2", "C": "room4"}])
    );
    // TOP counts across pages.
    let p = pages("SELECT TOP(5) FROM DIGITALTWINS", 2);
    assert_eq!(p.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 1]);
    // A page that ends exactly at the end has no next page.
    assert_eq!(
        pages(
            "SELECT * FROM DIGITALTWINS WHERE IS_OF_MODEL('dtmi:test:Floor;1')",
            2
        )
        .len(),
        1
    );
}

#[test]
fn selective_queries_use_indexes() {
    let examined = |q: &str| query(q).unwrap().examined;
    let n = 10; // twins in the fixture
    assert_eq!(examined("SELECT * FROM DIGITALTWINS"), n);
    assert_eq!(
        examined("SELECT * FROM DIGITALTWINS T WHERE T.$dtId = 'room3'"),
        1
    );
    assert_eq!(
        examined("SELECT * FROM DIGITALTWINS WHERE 'room3' = $dtId AND Capacity = 0"),
        1
    );
    assert_eq!(
        examined("SELECT * FROM DIGITALTWINS WHERE IS_OF_MODEL('dtmi:test:Sensor;1', exact)"),
        1
    );
    assert_eq!(
        examined("SELECT * FROM DIGITALTWINS WHERE IS_OF_MODEL('dtmi:test:Sensor;1')"),
        2
    );
    // One root, two relationships.
    assert_eq!(
        examined("SELECT T, C FROM DIGITALTWINS T JOIN C RELATED T.contains WHERE T.$dtId = 'ABC'"),
        3
    );
    // The known twin is the JOIN's target: walk incoming relationships.
    assert_eq!(
        examined("SELECT S FROM DIGITALTWINS S JOIN T RELATED S.contains WHERE T.$dtId = 'room4'"),
        2
    );
    assert_eq!(
        examined("SELECT * FROM RELATIONSHIPS WHERE $targetId = 'crew1'"),
        2
    );
    let plan = |q: &str| query(&format!("EXPLAIN {q}")).unwrap().rows[0]["plan"].clone();
    let p = plan(
        "SELECT S FROM DIGITALTWINS S JOIN T RELATED S.contains WHERE T.$dtId = 'room4' AND S.name = 'F2'",
    );
    assert_eq!(p["root"], "T");
    assert_eq!(p["access"], json!({"index": "$dtId", "ids": ["room4"]}));
    assert_eq!(p["steps"][0]["adjacency"], "incoming");
    assert_eq!(p["steps"][0]["filters"], 1);
    let p = plan("SELECT * FROM DIGITALTWINS WHERE name = 'R2' AND Temperature > 1");
    assert_eq!(
        p["access"],
        json!({"index": "property", "property": "name", "values": ["R2"]})
    );
    assert_eq!(p["rootFilters"], 1);
    let p = plan("SELECT * FROM DIGITALTWINS WHERE IS_OF_MODEL('dtmi:test:Space;1')");
    assert_eq!(
        p["access"]["models"],
        json!([
            "dtmi:test:Building;1",
            "dtmi:test:Floor;1",
            "dtmi:test:Room;1"
        ])
    );
    // The header form of EXPLAIN.
    let rows = fixture::graph()
        .view(|v| {
            run(
                v,
                "SELECT * FROM DIGITALTWINS",
                None,
                RunOptions {
                    page_size: 10,
                    explain: true,
                    ..RunOptions::default()
                },
            )
        })
        .unwrap()
        .rows;
    assert_eq!(rows[0]["plan"]["access"], json!({"scan": "all twins"}));
}

#[test]
fn ranges_read_the_ordered_property_index() {
    let examined = |q: &str| query(q).unwrap().examined;
    let plan = |q: &str| query(&format!("EXPLAIN {q}")).unwrap().rows[0]["plan"].clone();
    let q = "SELECT * FROM DIGITALTWINS WHERE Temperature > 70";
    check(q, json!(["room2", "room4"]));
    assert_eq!(examined(q), 2);
    assert_eq!(
        plan(q)["access"],
        json!({"index": "property range", "property": "Temperature",
               "from": {"value": 70, "inclusive": false}, "to": null})
    );
    // Both bounds, from two terms, and the literal on the left.
    let q = "SELECT * FROM DIGITALTWINS T WHERE T.Temperature >= 70 AND 85 > T.Temperature";
    check(q, json!(["room1", "room4"]));
    assert_eq!(examined(q), 2);
    // Integers and floats compare by value.
    check(
        "SELECT * FROM DIGITALTWINS WHERE Temperature <= 80.0 AND Temperature > 69.5",
        json!(["room1", "room4"]),
    );
    // Strings by their bytes; a range never reaches values of another kind.
    check(
        "SELECT * FROM DIGITALTWINS WHERE name >= 'F' AND name < 'R'",
        json!(["floor1", "floor2"]),
    );
    check(
        "SELECT * FROM DIGITALTWINS WHERE Temperature > 'a'",
        json!([]),
    );
    check(
        "SELECT * FROM DIGITALTWINS WHERE Temperature > 90",
        json!([]),
    );
    assert_eq!(
        examined("SELECT * FROM DIGITALTWINS WHERE Temperature > 90"),
        0
    );
    // An empty range, and bounds of different kinds, hold nothing.
    check(
        "SELECT * FROM DIGITALTWINS WHERE Capacity > 10 AND Capacity < 10",
        json!([]),
    );
    check(
        "SELECT * FROM DIGITALTWINS WHERE Capacity > 1 AND Capacity < 'z'",
        json!([]),
    );
    // Other terms still filter the twins the index found.
    check(
        "SELECT * FROM DIGITALTWINS WHERE Temperature > 60 AND owner != 'Anil'",
        json!(["room1", "room4"]),
    );
    // A narrower index wins: one id beats a range.
    assert_eq!(
        plan("SELECT * FROM DIGITALTWINS T WHERE T.Temperature > 0 AND T.$dtId = 'room1'")["access"]
            ["index"],
        "$dtId"
    );
    // A range wide in value but holding few twins is read through the index.
    assert_eq!(
        plan("SELECT * FROM DIGITALTWINS WHERE Temperature > 0")["access"]["index"],
        "property range"
    );
    // Paging through an index range keeps its order and loses nothing.
    assert_eq!(
        pages("SELECT * FROM DIGITALTWINS WHERE Capacity >= 0", 2),
        vec![vec![json!("room1"), json!("room2")], vec![json!("room3")]]
    );
}

#[test]
fn a_query_past_its_time_limit_stops() {
    let opts = RunOptions {
        time_limit: Some(std::time::Duration::ZERO),
        ..RunOptions::default()
    };
    let q = "SELECT B FROM DIGITALTWINS MATCH (A)-[*..8]-(B) WHERE A.$dtId = 'ABC'";
    let r = fixture::graph().view(|v| run(v, q, None, opts));
    assert!(matches!(r, Err(QueryError::Timeout(_))), "{r:?}");
    let opts = RunOptions {
        time_limit: Some(std::time::Duration::from_secs(60)),
        ..RunOptions::default()
    };
    assert!(fixture::graph().view(|v| run(v, q, None, opts)).is_ok());
}

#[test]
fn a_wide_undirected_match_reads_each_relationship_once() {
    // Twelve floors, each containing every other: about 10^8 simple paths
    // of up to ten hops, but only 132 relationships.
    let g = fixture::empty();
    let n = 12;
    let floor = json!({"$metadata": {"$model": "dtmi:test:Floor;1"}});
    for i in 0..n {
        fixture::block_on(g.put_twin(&format!("f{i}"), floor.clone(), false, None)).unwrap();
    }
    for i in 0..n {
        for j in (0..n).filter(|j| *j != i) {
            let rel = json!({"$relationshipName": "contains", "$targetId": format!("f{j}")});
            fixture::block_on(g.put_relationship(
                &format!("f{i}"),
                &format!("c{i}-{j}"),
                rel,
                false,
                None,
            ))
            .unwrap();
        }
    }
    let opts = RunOptions {
        time_limit: Some(std::time::Duration::from_secs(60)),
        ..RunOptions::default()
    };
    let q = "SELECT COUNT() FROM DIGITALTWINS MATCH (A)-[*..10]-(B) WHERE A.$dtId = 'f0'";
    let page = g.view(|v| run(v, q, None, opts)).unwrap();
    assert_eq!(page.rows, vec![json!({"COUNT": n - 1})]);
    // The root, then each twin's outgoing and incoming lists once.
    assert!(page.examined <= 1 + 2 * 132, "examined {}", page.examined);
}

#[test]
fn queries_read_their_writes() {
    let g = fixture::empty();
    let count = |g: &ferrotwin_graph::Graph, q: &str| {
        g.view(|v| run(v, q, None, RunOptions::default()))
            .unwrap()
            .rows[0]["COUNT"]
            .clone()
    };
    let room = |t: i64| json!({"$metadata": {"$model": "dtmi:test:Room;1"}, "Temperature": t});
    let q = "SELECT COUNT() FROM DIGITALTWINS WHERE IS_OF_MODEL('dtmi:test:Space;1') AND Temperature > 50";
    assert_eq!(count(&g, q), 0);
    fixture::block_on(g.put_twin("r", room(60), false, None)).unwrap();
    // Acknowledged means visible: the next query sees it, through the model index.
    assert_eq!(count(&g, q), 1);
    let hot = "SELECT COUNT() FROM DIGITALTWINS WHERE Temperature = 60";
    assert_eq!(count(&g, hot), 1);
    fixture::block_on(g.patch_twin(
        "r",
        None,
        json!([{"op": "replace", "path": "/Temperature", "value": 40}]),
        None,
    ))
    .unwrap();
    assert_eq!(count(&g, q), 0);
    // The property index built by the query above follows the patch.
    assert_eq!(count(&g, hot), 0);
    assert_eq!(
        count(
            &g,
            "SELECT COUNT() FROM DIGITALTWINS WHERE Temperature > 50"
        ),
        0
    );
    assert_eq!(
        count(
            &g,
            "SELECT COUNT() FROM DIGITALTWINS WHERE Temperature >= 40"
        ),
        1
    );
    assert_eq!(
        count(
            &g,
            "SELECT COUNT() FROM DIGITALTWINS WHERE Temperature = 40"
        ),
        1
    );
    // Replacing a twin with another model moves it in the model index.
    fixture::block_on(g.put_twin(
        "r",
        json!({"$metadata": {"$model": "dtmi:test:Crew;1"}}),
        false,
        None,
    ))
    .unwrap();
    assert_eq!(
        count(
            &g,
            "SELECT COUNT() FROM DIGITALTWINS WHERE IS_OF_MODEL('dtmi:test:Room;1')"
        ),
        0
    );
    assert_eq!(
        count(
            &g,
            "SELECT COUNT() FROM DIGITALTWINS WHERE IS_OF_MODEL('dtmi:test:Crew;1')"
        ),
        1
    );
    fixture::block_on(g.delete_twin("r", None)).unwrap();
    assert_eq!(
        count(
            &g,
            "SELECT COUNT() FROM DIGITALTWINS WHERE Temperature = 40"
        ),
        0
    );
    assert_eq!(
        count(
            &g,
            "SELECT COUNT() FROM DIGITALTWINS WHERE IS_OF_MODEL('dtmi:test:Crew;1')"
        ),
        0
    );
}

/// ADT's documented queries (`reference.sql`, `examples.sql`) by tag, with
/// `--` comment lines dropped; a block holding several queries separated
/// by a blank line yields each. `None` when the reference is absent.
fn reference_queries() -> Option<Vec<(String, String)>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/reference/adt/query");
    if !dir.is_dir() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{} is missing",
            dir.display()
        );
        println!("skipped: {} is absent", dir.display());
        return None;
    }
    let mut out = Vec::new();
    for file in ["reference.sql", "examples.sql"] {
        let text = std::fs::read_to_string(dir.join(file)).expect("reference file");
        let mut tag: Option<String> = None;
        let mut body: Vec<&str> = Vec::new();
        for line in text.lines() {
            let t = line.trim();
            if let Some(open) = t.strip_prefix("-- <").filter(|r| !r.starts_with('/')) {
                tag = Some(open.trim_end_matches('>').to_string());
                body.clear();
            } else if t.starts_with("-- </") {
                if let Some(tag) = tag.take() {
                    let text = body.join("\n");
                    let chunks: Vec<&str> = text
                        .split("\n\n")
                        .map(str::trim)
                        .filter(|c| !c.is_empty())
                        .collect();
                    for (i, c) in chunks.iter().enumerate() {
                        let name = if chunks.len() > 1 {
                            format!("{file}:{tag}#{}", i + 1)
                        } else {
                            format!("{file}:{tag}")
                        };
                        out.push((name, c.to_string()));
                    }
                }
            } else if tag.is_some() && !t.starts_with("--") {
                body.push(line);
            }
        }
    }
    Some(out)
}

/// What each documented example query gives on the fixture: its rows
/// (documents shortened to ids), or why it is refused. Templates (tags
/// ending in `Syntax`) hold placeholders and are only counted. The refused
/// examples are the documentation's own mistakes or placeholders: a
/// subquery (`FromNegativeExample`, a negative example), a missing ')'
/// or FROM, `DIGITIALTWINS`, `<propertyName>`, `WHERE ...`, `@buildingId`,
/// `..'floorn'`, and `has.role` naming a relationship type, not a collection.
const REFERENCE: &[(&str, &str)] = &[
    (
        "reference.sql:FromDigitalTwinsExample",
        r#"["ABC","floor1","floor2","room1","room2","room3","room4","sensor1","thermostat-15","crew1"]"#,
    ),
    (
        "reference.sql:FromDigitalTwinsNamedExample",
        r#"["ABC","floor1","floor2","room1","room2","room3","room4","sensor1","thermostat-15","crew1"]"#,
    ),
    (
        "reference.sql:FromRelationshipsExample",
        r#"["abc-f1","abc-f2","f1-r1","f1-r2","f1-r3","f2-r4","r1-s1","r2-t15","r1-crew","r2-crew","t15-f1"]"#,
    ),
    ("reference.sql:FromRelationshipsFilteredExample", r#"[]"#),
    ("reference.sql:FromNegativeExample", r#"parse error"#),
    (
        "reference.sql:JoinExample",
        r#"[{"T":"ABC","CT":"floor1"},{"T":"ABC","CT":"floor2"}]"#,
    ),
    ("reference.sql:MultiJoinExample", r#"[]"#),
    ("reference.sql:MaxJoinExample", r#"[]"#),
    ("reference.sql:NoOuterJoinExample", r#"[]"#),
    ("reference.sql:MatchExample", r#"[]"#),
    ("reference.sql:MatchDirectionLRExample", r#"[]"#),
    ("reference.sql:MatchDirectionRLExample", r#"[]"#),
    ("reference.sql:MatchDirectionNDExample", r#"[]"#),
    ("reference.sql:MatchNameSingleExample", r#"[]"#),
    ("reference.sql:MatchNameMultiExample", r#"[]"#),
    ("reference.sql:MatchNameAllExample", r#"parse error"#),
    (
        "reference.sql:MatchHopsExactExample",
        r#"[{"Floor":"thermostat-15","Room":"crew1"},{"Floor":"thermostat-15","Room":"sensor1"},{"Floor":"thermostat-15","Room":"floor2"},{"Floor":"thermostat-15","Room":"room1"},{"Floor":"thermostat-15","Room":"room3"},{"Floor":"thermostat-15","Room":"ABC"}]"#,
    ),
    (
        "reference.sql:MatchHopsRangeExample1",
        r#"[{"Floor":"thermostat-15","Room":"room1"},{"Floor":"thermostat-15","Room":"crew1"},{"Floor":"thermostat-15","Room":"sensor1"},{"Floor":"thermostat-15","Room":"room2"},{"Floor":"thermostat-15","Room":"room3"},{"Floor":"thermostat-15","Room":"ABC"},{"Floor":"thermostat-15","Room":"floor2"},{"Floor":"thermostat-15","Room":"floor1"}]"#,
    ),
    (
        "reference.sql:MatchHopsRangeEndingExample",
        r#"[{"Floor":"thermostat-15","Room":"floor1"},{"Floor":"thermostat-15","Room":"room2"},{"Floor":"thermostat-15","Room":"room1"},{"Floor":"thermostat-15","Room":"room3"},{"Floor":"thermostat-15","Room":"ABC"},{"Floor":"thermostat-15","Room":"crew1"}]"#,
    ),
    (
        "reference.sql:MatchHopsOneExample",
        r#"[{"Floor":"thermostat-15","Room":"floor1"},{"Floor":"thermostat-15","Room":"room2"}]"#,
    ),
    ("reference.sql:MatchVariableExample", r#"parse error"#),
    ("reference.sql:MatchCombinedHopsExample", r#"[]"#),
    ("reference.sql:MatchCombinedVariableExample", r#"[]"#),
    ("reference.sql:MatchCombinedChainExample", r#"[]"#),
    ("reference.sql:MatchCombinedChainBDExample", r#"[]"#),
    (
        "reference.sql:SelectExample",
        r#"["ABC","floor1","floor2","room1","room2","room3","room4","sensor1","thermostat-15","crew1"]"#,
    ),
    (
        "reference.sql:SelectProjectCollectionExample",
        r#"[{"T":"ABC"},{"T":"floor1"},{"T":"floor2"},{"T":"room1"},{"T":"room2"},{"T":"room3"},{"T":"room4"},{"T":"sensor1"},{"T":"thermostat-15"},{"T":"crew1"}]"#,
    ),
    ("reference.sql:SelectProjectJoinExample", r#"[]"#),
    ("reference.sql:SelectProjectPropertyExample", r#"[]"#),
    (
        "reference.sql:SelectProjectPropertyNotPresentExample",
        r#"[{"name":"ABC"},{"name":"F1"},{"name":"F2"},{"name":"R1"},{"name":"R2"},{"name":"R3"},{"name":"R4"},{},{},{"name":"Crew"}]"#,
    ),
    ("reference.sql:SelectCountExample", r#"[{"COUNT":10}]"#),
    (
        "reference.sql:SelectCountRelationshipsExample",
        r#"[{"COUNT":11}]"#,
    ),
    (
        "reference.sql:SelectTopExample",
        r#"["ABC","floor1","floor2","room1","room2"]"#,
    ),
    ("reference.sql:WhereExample", r#"[]"#),
    ("reference.sql:WhereFunctionExample", r#"[]"#),
    ("reference.sql:Array_ContainsExample", r#"[{"name":"R1"}]"#),
    ("reference.sql:ContainsExample", r#"[]"#),
    ("reference.sql:EndsWithExample", r#"[]"#),
    ("reference.sql:IsDefinedExample", r#"["room1"]"#),
    ("reference.sql:IsOfModelExample", r#"[]"#),
    ("reference.sql:IsBoolExample", r#"["room1","room2"]"#),
    ("reference.sql:IsBoolNotFalseExample", r#"["room1"]"#),
    ("reference.sql:IsNumberExample", r#"["room1","room2"]"#),
    ("reference.sql:IsStringExample", r#"parse error"#),
    (
        "reference.sql:IsNullExample",
        r#"["ABC","floor1","floor2","room1","room2","room3","room4","sensor1","thermostat-15","crew1"]"#,
    ),
    ("reference.sql:IsPrimitiveExample", r#"[{"area":500.0}]"#),
    ("reference.sql:IsObjectExample", r#"[]"#),
    ("reference.sql:StartsWithExample", r#"[]"#),
    ("reference.sql:EqualityExample", r#"["room4"]"#),
    ("reference.sql:ComparisonExample", r#"["room1"]"#),
    ("reference.sql:OrderedComparisonExample", r#"["room2"]"#),
    ("reference.sql:InExample", r#"["room1","room2","room4"]"#),
    ("reference.sql:AndExample", r#"["room1"]"#),
    ("reference.sql:OrExample", r#"["room1","room4"]"#),
    ("reference.sql:NotExample", r#"["room2","room4"]"#),
    ("reference.sql:ReservedKeywordExample", r#"["room1"]"#),
    (
        "examples.sql:GetAllTwins",
        r#"["ABC","floor1","floor2","room1","room2","room3","room4","sensor1","thermostat-15","crew1"]"#,
    ),
    ("examples.sql:EscapedSingleQuote", r#"["room1"]"#),
    ("examples.sql:QueryByProperty1", r#"[]"#),
    ("examples.sql:QueryByProperty2", r#"["room1"]"#),
    ("examples.sql:QueryMarkerTags1", r#"["room1"]"#),
    (
        "examples.sql:QueryByProperty3",
        r#"["room1","room2","room4"]"#,
    ),
    ("examples.sql:QueryByProperty4", r#"parse error"#),
    ("examples.sql:QueryByModel1", r#"[]"#),
    ("examples.sql:QueryByModel2", r#"[]"#),
    ("examples.sql:QueryByModel3", r#"[]"#),
    ("examples.sql:QueryByModel4", r#"[]"#),
    (
        "examples.sql:QueryByRelationship1",
        r#"[{"T":"ABC","CT":"floor1"},{"T":"ABC","CT":"floor2"}]"#,
    ),
    ("examples.sql:QueryByRelationshipSource", r#"[]"#),
    ("examples.sql:QueryByRelationshipTarget", r#"[]"#),
    ("examples.sql:QueryByRelationship2", r#"[]"#),
    ("examples.sql:QueryByRelationship3", r#"[]"#),
    ("examples.sql:SelectCount1", r#"[{"COUNT":10}]"#),
    ("examples.sql:SelectCount2#1", r#"[{"COUNT":0}]"#),
    ("examples.sql:SelectCount2#2", r#"[{"COUNT":0}]"#),
    ("examples.sql:SelectCount3", r#"[{"COUNT":0}]"#),
    ("examples.sql:SelectTop", r#"parse error"#),
    ("examples.sql:Projections1", r#"[]"#),
    ("examples.sql:Projections2", r#"[]"#),
    ("examples.sql:Projections3", r#"[]"#),
    ("examples.sql:Projections4", r#"[]"#),
    ("examples.sql:Projections5", r#"[]"#),
    ("examples.sql:INOperatorWithout", r#"parse error"#),
    ("examples.sql:INOperatorWith", r#"parse error"#),
    ("examples.sql:OtherExamples1", r#"invalid query"#),
    ("examples.sql:OtherExamples2", r#"[]"#),
    ("examples.sql:OtherExamples3", r#"[]"#),
    ("examples.sql:QueryMarkerTags2", r#"["room2","room3"]"#),
    ("examples.sql:QueryMarkerValueTags", r#"[]"#),
    ("examples.sql:TemperatureQuery", r#"["room2","room4"]"#),
];

#[test]
fn documented_queries_parse_and_run() {
    let Some(all) = reference_queries() else {
        return;
    };
    let (mut templates, mut templates_parsed, mut parsed, mut ran) = (0, 0, 0, 0);
    let mut examples = 0;
    for (name, q) in &all {
        let ok = ferrotwin_query::parse(q).is_ok();
        if name.ends_with("Syntax") {
            templates += 1;
            templates_parsed += usize::from(ok);
            continue;
        }
        examples += 1;
        parsed += usize::from(ok);
        let Some((_, expected)) = REFERENCE.iter().find(|(n, _)| n == name) else {
            panic!("{name} has no expectation:\n{q}");
        };
        let got = match query(q) {
            Ok(p) => {
                ran += 1;
                Value::Array(p.rows.iter().map(short).collect()).to_string()
            }
            Err(QueryError::Syntax { .. }) => "parse error".into(),
            Err(_) => "invalid query".into(),
        };
        assert_eq!(&got, expected, "{name}:\n{q}");
    }
    assert_eq!(
        examples,
        REFERENCE.len(),
        "an expectation names a query that is gone"
    );
    println!(
        "documented examples: {parsed} of {examples} parse, {ran} run with asserted results; \
         templates: {templates_parsed} of {templates} parse"
    );
    assert!(
        parsed >= 82 && ran >= 81,
        "fewer documented queries work than before"
    );
}
