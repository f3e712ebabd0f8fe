//! Settings of one OPC UA server ferrotwin subscribes to (`[[opcua_source]]`
//! in the config file), checked before anything connects.

use std::path::PathBuf;
use std::str::FromStr;

use serde::Deserialize;
use ua::types::NodeId;

use crate::payload::DataKind;

/// One OPC UA server and the nodes of it mapped to twins.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpcUaSourceConfig {
    /// A name for logs and dead letters.
    pub name: String,
    /// The endpoint, `opc.tcp://host:port[/path]`.
    pub url: String,
    /// `None` (default) or `Basic256Sha256`.
    #[serde(default)]
    pub security_policy: SecurityPolicy,
    /// `None`, `Sign` or `SignAndEncrypt`; by default `None` with the `None`
    /// policy and `SignAndEncrypt` with any other.
    #[serde(default)]
    pub security_mode: Option<SecurityMode>,
    /// Login name; anonymous when absent.
    #[serde(default)]
    pub username: Option<String>,
    /// Login password.
    #[serde(default)]
    pub password: Option<String>,
    /// ferrotwin's own certificate and key (`own/cert.der`,
    /// `private/private.pem`, generated on first use), the server
    /// certificates it trusts (`trusted/`) and those it refused
    /// (`rejected/`). Default: `<data>/opcua/pki`, set by the server.
    #[serde(default)]
    pub pki_dir: Option<PathBuf>,
    /// Trusts whatever certificate the server presents and saves it in
    /// `trusted/`: for a first set-up only, since it lets any server that
    /// answers at the URL pose as the machine.
    #[serde(default)]
    pub trust_server_certificate: bool,
    /// How often the server sends the changes it collected, in ms.
    #[serde(default = "default_publishing_interval")]
    pub publishing_interval_ms: u32,
    /// Changes the server keeps per node between two publishes (the oldest
    /// is dropped beyond that, as OPC UA does when a client falls behind).
    #[serde(default = "default_queue_size")]
    pub queue_size: u32,
    /// The nodes to monitor and where their values go.
    #[serde(default)]
    pub nodes: Vec<NodeMapping>,
    /// Twin commands answered by calling a method on this server.
    #[serde(default)]
    pub commands: Vec<CommandMapping>,
}

/// A twin's DTDL command carried out as an OPC UA method call.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandMapping {
    /// The twin.
    pub twin: String,
    /// The command's name, `component*name` for a component's command.
    pub command: String,
    /// The object the method is called on, e.g. `ns=2;s=Machine`.
    pub object_id: String,
    /// The method, e.g. `ns=2;s=Machine.SetSpeed`.
    pub method_id: String,
}

/// A node whose value changes go to a twin's telemetry or property.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeMapping {
    /// The node, e.g. `ns=2;s=Pump1.Temperature`, `ns=3;i=1001`, or by
    /// namespace URI, `nsu=urn:acme:press;s=Pump1.Temperature`.
    pub node_id: String,
    /// The twin its values belong to.
    pub twin: String,
    /// `telemetry` or `properties`.
    pub kind: DataKind,
    /// The telemetry or property name on the twin.
    pub name: String,
    /// Numbers become `value * scale + offset` (unit conversion).
    #[serde(default = "one")]
    pub scale: f64,
    /// See `scale`.
    #[serde(default)]
    pub offset: f64,
    /// How often the server samples the node, in ms; the publishing
    /// interval when absent, 0 for as fast as the server can.
    #[serde(default)]
    pub sampling_interval_ms: Option<u32>,
}

/// An OPC UA security policy ferrotwin speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum SecurityPolicy {
    /// No signing or encryption.
    #[default]
    None,
    /// RSA 2048+ with SHA-256 and AES-256.
    Basic256Sha256,
}

/// How messages are protected under the security policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum SecurityMode {
    /// Neither signed nor encrypted (policy `None` only).
    None,
    /// Signed.
    Sign,
    /// Signed and encrypted.
    SignAndEncrypt,
}

impl FromStr for SecurityPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "None" => Ok(SecurityPolicy::None),
            "Basic256Sha256" => Ok(SecurityPolicy::Basic256Sha256),
            _ => Err(format!(
                "unknown security policy '{s}': use None or Basic256Sha256"
            )),
        }
    }
}

impl FromStr for SecurityMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "None" => Ok(SecurityMode::None),
            "Sign" => Ok(SecurityMode::Sign),
            "SignAndEncrypt" => Ok(SecurityMode::SignAndEncrypt),
            _ => Err(format!(
                "unknown security mode '{s}': use None, Sign or SignAndEncrypt"
            )),
        }
    }
}

fn default_publishing_interval() -> u32 {
    500
}

fn default_queue_size() -> u32 {
    64
}

fn one() -> f64 {
    1.0
}

/// How to reach and log in to one server: what a subscription and a
/// browse share.
#[derive(Debug, Clone)]
pub struct Connection {
    /// `opc.tcp://host:port[/path]`.
    pub url: String,
    /// The security policy.
    pub policy: SecurityPolicy,
    /// The security mode, consistent with the policy.
    pub mode: SecurityMode,
    /// Username and password; anonymous when absent.
    pub login: Option<(String, String)>,
    /// ferrotwin's client certificate and trust lists.
    pub pki_dir: PathBuf,
    /// Trust any server certificate (first set-up).
    pub trust_server_certificate: bool,
}

impl Connection {
    /// Checks a URL, policy and mode combination; `mode` defaults as in
    /// [`OpcUaSourceConfig::security_mode`].
    pub fn new(
        url: &str,
        policy: SecurityPolicy,
        mode: Option<SecurityMode>,
        login: Option<(String, String)>,
        pki_dir: PathBuf,
        trust_server_certificate: bool,
    ) -> Result<Connection, String> {
        check_url(url)?;
        let mode = match (policy, mode) {
            (SecurityPolicy::None, None | Some(SecurityMode::None)) => SecurityMode::None,
            (SecurityPolicy::None, Some(m)) => {
                return Err(format!(
                    "security_mode {m:?} needs a security_policy such as Basic256Sha256, not None"
                ));
            }
            (_, Some(SecurityMode::None)) => {
                return Err(format!(
                    "security_policy {policy:?} needs security_mode Sign or SignAndEncrypt, not None"
                ));
            }
            (_, Some(m)) => m,
            (_, None) => SecurityMode::SignAndEncrypt,
        };
        if let Some((user, _)) = &login
            && user.is_empty()
        {
            return Err("username must not be empty".into());
        }
        Ok(Connection {
            url: url.to_string(),
            policy,
            mode,
            login,
            pki_dir,
            trust_server_certificate,
        })
    }
}

/// A command mapping, checked.
#[derive(Debug, Clone)]
pub(crate) struct MethodMapping {
    pub(crate) twin: String,
    pub(crate) command: String,
    pub(crate) object: NodeId,
    pub(crate) method: NodeId,
}

/// A node mapping, checked.
#[derive(Debug, Clone)]
pub(crate) struct Mapping {
    pub(crate) node: NodeId,
    /// The namespace URI of an `nsu=` node id: its index is looked up in
    /// the server's namespace array each time the session subscribes,
    /// since a server may renumber its namespaces across restarts.
    pub(crate) namespace_uri: Option<String>,
    /// The node id as configured, for logs and dead letters.
    pub(crate) node_text: String,
    pub(crate) twin: String,
    pub(crate) kind: DataKind,
    pub(crate) name: String,
    pub(crate) scale: f64,
    pub(crate) offset: f64,
    /// In ms; negative for the publishing interval.
    pub(crate) sampling_interval: f64,
}

impl OpcUaSourceConfig {
    /// The name used in logs.
    pub fn label(&self) -> &str {
        &self.name
    }

    /// Checks everything that can be checked before connecting; the error
    /// names the source and the offending field. `pki_dir` may still be
    /// unset (the server fills in its default).
    pub fn check(&self) -> Result<(), String> {
        self.parsed()?;
        self.methods().map(|_| ())
    }

    /// The command mappings, checked.
    pub(crate) fn methods(&self) -> Result<Vec<MethodMapping>, String> {
        let mut out: Vec<MethodMapping> = Vec::with_capacity(self.commands.len());
        for (i, c) in self.commands.iter().enumerate() {
            let at = |m: String| {
                format!(
                    "opcua_source '{}': commands[{i}] ({}): {m}",
                    self.name, c.command
                )
            };
            if c.twin.trim().is_empty() {
                return Err(at("twin must not be empty".into()));
            }
            if c.command.trim().is_empty() {
                return Err(at("command must not be empty".into()));
            }
            let object = parse_node_id(&c.object_id).map_err(|e| at(format!("object_id: {e}")))?;
            let method = parse_node_id(&c.method_id).map_err(|e| at(format!("method_id: {e}")))?;
            if out
                .iter()
                .any(|m| m.twin == c.twin && m.command == c.command)
            {
                return Err(at(format!(
                    "twin '{}' already has a mapping for this command",
                    c.twin
                )));
            }
            out.push(MethodMapping {
                twin: c.twin.clone(),
                command: c.command.clone(),
                object,
                method,
            });
        }
        Ok(out)
    }

    pub(crate) fn parsed(&self) -> Result<(Connection, Vec<Mapping>), String> {
        let name = if self.name.trim().is_empty() {
            return Err(format!(
                "opcua_source with url '{}': name must not be empty",
                self.url
            ));
        } else {
            &self.name
        };
        let at = |m: String| format!("opcua_source '{name}': {m}");
        let login = match (&self.username, &self.password) {
            (Some(u), p) => Some((u.clone(), p.clone().unwrap_or_default())),
            (None, Some(_)) => return Err(at("a password needs a username".into())),
            (None, None) => None,
        };
        let connection = Connection::new(
            &self.url,
            self.security_policy,
            self.security_mode,
            login,
            self.pki_dir.clone().unwrap_or_default(),
            self.trust_server_certificate,
        )
        .map_err(at)?;
        if self.publishing_interval_ms == 0 {
            return Err(at("publishing_interval_ms must be above 0".into()));
        }
        if self.queue_size == 0 {
            return Err(at("queue_size must be above 0".into()));
        }
        if self.nodes.is_empty() && self.commands.is_empty() {
            return Err(at("give at least one entry in nodes or commands".into()));
        }
        let mut out = Vec::with_capacity(self.nodes.len());
        for (i, n) in self.nodes.iter().enumerate() {
            let at = |m: String| at(format!("nodes[{i}] ({}): {m}", n.node_id));
            let (node, namespace_uri) = parse_node_ref(&n.node_id).map_err(at)?;
            if n.twin.trim().is_empty() {
                return Err(at("twin must not be empty".into()));
            }
            if n.name.trim().is_empty() {
                return Err(at("name must not be empty".into()));
            }
            if !n.scale.is_finite() || n.scale == 0.0 {
                return Err(at(format!(
                    "scale must be a finite number other than 0, not {}",
                    n.scale
                )));
            }
            if !n.offset.is_finite() {
                return Err(at(format!(
                    "offset must be a finite number, not {}",
                    n.offset
                )));
            }
            out.push(Mapping {
                node,
                namespace_uri,
                node_text: n.node_id.clone(),
                twin: n.twin.clone(),
                kind: n.kind,
                name: n.name.clone(),
                scale: n.scale,
                offset: n.offset,
                sampling_interval: n.sampling_interval_ms.map_or(-1.0, f64::from),
            });
        }
        Ok((connection, out))
    }
}

/// Parses an OPC UA node id in the text form `[ns=<index>;]<i|s|g|b>=<value>`.
pub fn parse_node_id(text: &str) -> Result<NodeId, String> {
    NodeId::from_str(text).map_err(|_| {
        format!(
            "'{text}' is not a node id: write ns=<namespace index>;i=<number>, ;s=<string>, ;g=<guid> or ;b=<base64>"
        )
    })
}

/// A monitored node's id: `ns=<index>;...` as [`parse_node_id`] reads
/// it, or `nsu=<namespace URI>;<i|s|g|b>=...`, whose namespace index the
/// server's namespace array gives once connected (the node id returned
/// then has namespace 0 until it is resolved). In the URI, `%3b` stands
/// for `;` and `%25` for `%`, as OPC UA's text form of node ids says.
pub fn parse_node_ref(text: &str) -> Result<(NodeId, Option<String>), String> {
    let Some(rest) = text.strip_prefix("nsu=") else {
        return parse_node_id(text).map(|n| (n, None));
    };
    let Some((uri, id)) = rest.split_once(';') else {
        return Err(format!(
            "'{text}' is not a node id: after nsu=<namespace URI> comes ;i=<number>, ;s=<string>, ;g=<guid> or ;b=<base64>"
        ));
    };
    let uri = uri.replace("%3b", ";").replace("%25", "%");
    if uri.trim().is_empty() {
        return Err(format!("'{text}': the namespace URI after nsu= is empty"));
    }
    if id.starts_with("ns=") || id.starts_with("nsu=") {
        return Err(format!(
            "'{text}' names its namespace twice: give either nsu=<URI> or ns=<index>"
        ));
    }
    let node = parse_node_id(&format!("ns=0;{id}")).map_err(|_| {
        format!(
            "'{text}' is not a node id: after nsu=<namespace URI> comes ;i=<number>, ;s=<string>, ;g=<guid> or ;b=<base64>"
        )
    })?;
    Ok((node, Some(uri)))
}

fn check_url(url: &str) -> Result<(), String> {
    let Some(rest) = url.strip_prefix("opc.tcp://") else {
        return Err(format!("url '{url}' must start with opc.tcp://"));
    };
    let host_port = rest.split('/').next().unwrap_or("");
    let (host, port) = match host_port.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (host_port, None),
    };
    if host.is_empty() {
        return Err(format!("url '{url}' needs a host"));
    }
    if let Some(p) = port
        && p.parse::<u16>().is_err()
    {
        return Err(format!("url '{url}': '{p}' is not a port number"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(extra: &str, node: &str) -> Result<(Connection, Vec<Mapping>), String> {
        let text = format!(
            "name = \"press\"\nurl = \"opc.tcp://127.0.0.1:4840/m\"\n{extra}\nnodes = [{node}]\n"
        );
        let cfg: OpcUaSourceConfig = toml::from_str(&text).map_err(|e| e.to_string())?;
        cfg.parsed()
    }

    const NODE: &str = r#"{ node_id = "ns=2;s=Pump1.Temperature", twin = "pump-1", kind = "telemetry", name = "temperature" }"#;

    #[test]
    fn a_node_may_name_its_namespace_by_uri() {
        let node = r#"{ node_id = "nsu=urn:plant%3bline-2;s=Pump1.Temperature", twin = "pump-1", kind = "telemetry", name = "t" }"#;
        let (_, m) = config("", node).unwrap();
        assert_eq!(m[0].namespace_uri.as_deref(), Some("urn:plant;line-2"));
        assert_eq!(m[0].node, NodeId::new(0, "Pump1.Temperature"));
        let (_, m) = config("", NODE).unwrap();
        assert_eq!(m[0].namespace_uri, None);
        assert_eq!(m[0].node, NodeId::new(2, "Pump1.Temperature"));
        for (bad, why) in [
            ("nsu=urn:x", "after nsu=<namespace URI> comes"),
            ("nsu=;s=a", "namespace URI after nsu= is empty"),
            ("nsu=urn:x;ns=2;s=a", "names its namespace twice"),
            ("nsu=urn:x;q=1", "is not a node id"),
        ] {
            let node =
                format!(r#"{{ node_id = "{bad}", twin = "p", kind = "telemetry", name = "t" }}"#);
            let e = config("", &node).unwrap_err();
            assert!(e.contains(why) && e.contains("nodes[0]"), "{bad}: {e}");
        }
    }

    #[test]
    fn a_good_source_parses_with_defaults() {
        let (c, m) = config("", NODE).unwrap();
        assert_eq!(
            (c.policy, c.mode),
            (SecurityPolicy::None, SecurityMode::None)
        );
        assert!(c.login.is_none());
        assert_eq!(m[0].node_text, "ns=2;s=Pump1.Temperature");
        assert_eq!(
            (m[0].scale, m[0].offset, m[0].sampling_interval),
            (1.0, 0.0, -1.0)
        );
        let (c, _) = config(
            "security_policy = \"Basic256Sha256\"\nusername = \"op\"\npassword = \"pw\"",
            NODE,
        )
        .unwrap();
        assert_eq!(c.mode, SecurityMode::SignAndEncrypt);
        assert_eq!(c.login, Some(("op".into(), "pw".into())));
    }

    #[test]
    fn bad_sources_say_which_source_and_field() {
        let err = |extra: &str, node: &str| config(extra, node).unwrap_err();
        let e = err("security_mode = \"Sign\"", NODE);
        assert!(
            e.starts_with("opcua_source 'press': security_mode Sign needs"),
            "{e}"
        );
        let e = err(
            "security_policy = \"Basic256Sha256\"\nsecurity_mode = \"None\"",
            NODE,
        );
        assert!(
            e.contains("needs security_mode Sign or SignAndEncrypt"),
            "{e}"
        );
        let e = err("", &NODE.replace("ns=2;s=", "ns=x;"));
        assert!(
            e.contains(
                "nodes[0] (ns=x;Pump1.Temperature): 'ns=x;Pump1.Temperature' is not a node id"
            ),
            "{e}"
        );
        let e = err("", &NODE.replace("}", ", scale = nan }"));
        assert!(
            e.contains("nodes[0]") && e.contains("scale must be a finite number"),
            "{e}"
        );
        let e = err("", &NODE.replace("\"temperature\"", "\"\""));
        assert!(e.contains("name must not be empty"), "{e}");
        let e = err("", &NODE.replace("\"pump-1\"", "\" \""));
        assert!(e.contains("twin must not be empty"), "{e}");
        let e = err("password = \"x\"", NODE);
        assert!(e.contains("a password needs a username"), "{e}");
        let e = err("publishing_interval_ms = 0", NODE);
        assert!(e.contains("publishing_interval_ms must be above 0"), "{e}");
        let e = err("security_policy = \"Basic128\"", NODE);
        assert!(e.contains("unknown variant `Basic128`"), "{e}");
        let e = config("", NODE)
            .map(|_| ())
            .and_then(|_| {
                let cfg: OpcUaSourceConfig =
                    toml::from_str("name = \"p\"\nurl = \"http://h\"\nnodes = []\n").unwrap();
                cfg.parsed().map(|_| ())
            })
            .unwrap_err();
        assert!(e.contains("must start with opc.tcp://"), "{e}");
    }

    #[test]
    fn command_mappings_are_checked() {
        let cfg = |commands: &str| -> OpcUaSourceConfig {
            toml::from_str(&format!(
                "name = \"press\"\nurl = \"opc.tcp://h:4840\"\ncommands = [{commands}]\n"
            ))
            .unwrap()
        };
        let good = r#"{ twin = "p", command = "setSpeed", object_id = "ns=2;s=M", method_id = "ns=2;s=M.Set" }"#;
        assert_eq!(cfg(good).methods().unwrap().len(), 1);
        assert!(cfg(good).check().is_ok(), "a source may have commands only");
        let e = cfg(&good.replace("ns=2;s=M.Set", "M.Set"))
            .check()
            .unwrap_err();
        assert!(
            e.starts_with("opcua_source 'press': commands[0] (setSpeed): method_id:"),
            "{e}"
        );
        let e = cfg(&format!("{good}, {good}")).check().unwrap_err();
        assert!(
            e.contains("commands[1]") && e.contains("already has a mapping"),
            "{e}"
        );
        let e = cfg(&good.replace("\"p\"", "\"\"")).check().unwrap_err();
        assert!(e.contains("twin must not be empty"), "{e}");
    }

    #[test]
    fn urls_need_a_host_and_a_numeric_port() {
        assert!(check_url("opc.tcp://h:4840/a/b").is_ok());
        assert!(check_url("opc.tcp://h").is_ok());
        assert!(check_url("opc.tcp://:4840").is_err());
        assert!(check_url("opc.tcp://h:port/x").is_err());
    }
}
