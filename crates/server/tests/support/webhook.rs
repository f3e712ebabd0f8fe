//! A real HTTP server for webhook endpoints: it answers each POST with the
//! status a test chooses and keeps the bodies it accepted.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Decides the status of the n-th request (from 0) with this body.
pub type Answer = Arc<dyn Fn(usize, &Value) -> u16 + Send + Sync>;

/// A running receiver.
pub struct Receiver {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Every request: (status answered, body).
    pub seen: Arc<Mutex<Vec<(u16, Value)>>>,
}

impl Receiver {
    /// Listens on a free port.
    pub fn start(answer: Answer) -> Receiver {
        Receiver::on(TcpListener::bind("127.0.0.1:0").unwrap(), answer)
    }

    /// Listens on `listener`.
    pub fn on(listener: TcpListener, answer: Answer) -> Receiver {
        let addr = listener.local_addr().unwrap();
        let seen: Arc<Mutex<Vec<(u16, Value)>>> = Arc::default();
        let s = seen.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { break };
                let (s, answer) = (s.clone(), answer.clone());
                std::thread::spawn(move || serve(conn, &s, &*answer));
            }
        });
        Receiver { addr, seen }
    }

    /// The URL to declare as the endpoint.
    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// The accepted (2xx) bodies.
    pub fn accepted(&self) -> Vec<Value> {
        let seen = self.seen.lock().unwrap();
        seen.iter()
            .filter(|(s, _)| (200..300).contains(s))
            .map(|(_, b)| b.clone())
            .collect()
    }

    /// Waits up to `secs` until `done` holds for the accepted bodies.
    pub fn wait(&self, secs: u64, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let end = Instant::now() + Duration::from_secs(secs);
        loop {
            let got = self.accepted();
            if done(&got) || Instant::now() > end {
                return got;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn serve(conn: TcpStream, seen: &Mutex<Vec<(u16, Value)>>, answer: &dyn Fn(usize, &Value) -> u16) {
    let mut out = conn.try_clone().unwrap();
    let mut r = BufReader::new(conn);
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut len = 0;
        let mut ctype = String::new();
        loop {
            let mut h = String::new();
            if r.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let (k, v) = h.split_once(':').unwrap_or((h, ""));
            match k.to_ascii_lowercase().as_str() {
                "content-length" => len = v.trim().parse().unwrap_or(0),
                "content-type" => ctype = v.trim().to_string(),
                _ => {}
            }
        }
        let mut body = vec![0; len];
        if r.read_exact(&mut body).is_err() {
            return;
        }
        let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let status = if ctype.starts_with("application/cloudevents+json") {
            let mut seen = seen.lock().unwrap();
            let n = seen.len();
            let status = answer(n, &body);
            seen.push((status, body));
            status
        } else {
            415
        };
        let reply = format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\n\r\n");
        if out.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}
