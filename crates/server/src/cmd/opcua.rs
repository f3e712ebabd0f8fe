//! `ferrotwin opcua browse`: prints an OPC UA server's address space, so
//! that a user can find the node ids to map in `[[opcua_source]]`.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use ferrotwin_connect::opcua::browse::{BrowsedNode, browse as browse_server};
use ferrotwin_connect::opcua::{Connection, SecurityMode, SecurityPolicy};

/// `opcua` subcommands.
#[derive(Subcommand)]
pub enum OpcUaCommand {
    /// Print the tree of nodes under a node (default the Objects folder):
    /// node id, browse name, node class, and a variable's data type and
    /// current value.
    Browse(BrowseArgs),
}

/// `opcua browse` options.
#[derive(Args)]
pub struct BrowseArgs {
    /// The server, `opc.tcp://host:port[/path]`.
    pub url: String,
    /// The node to start from, e.g. `ns=2;s=Machine` [default: the Objects folder].
    #[arg(long)]
    pub node: Option<String>,
    /// Levels to descend.
    #[arg(long, default_value_t = 3)]
    pub depth: u32,
    /// `None` or `Basic256Sha256`.
    #[arg(long, default_value = "None")]
    pub security_policy: SecurityPolicy,
    /// `None`, `Sign` or `SignAndEncrypt` [default: SignAndEncrypt unless the policy is None].
    #[arg(long)]
    pub security_mode: Option<SecurityMode>,
    /// Login name; anonymous when absent.
    #[arg(long)]
    pub username: Option<String>,
    /// Login password.
    #[arg(long, env = "FERROTWIN_OPCUA_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// ferrotwin's OPC UA certificates and trust lists [default: <data>/opcua/pki, as `serve` uses].
    #[arg(long)]
    pub pki_dir: Option<PathBuf>,
    /// Data directory, for the default --pki-dir.
    #[arg(long, env = "FERROTWIN_DATA", default_value = "ferrotwin-data")]
    pub data: PathBuf,
    /// Trust whatever certificate the server presents (and keep it in
    /// the trusted list): for a first set-up only.
    #[arg(long)]
    pub trust_server_certificate: bool,
}

/// `opcua browse`
pub async fn browse(a: BrowseArgs) -> anyhow::Result<()> {
    if a.password.is_some() && a.username.is_none() {
        anyhow::bail!("--password needs --username");
    }
    let login = a.username.map(|u| (u, a.password.unwrap_or_default()));
    let pki = a
        .pki_dir
        .unwrap_or_else(|| a.data.join("opcua").join("pki"));
    let conn = Connection::new(
        &a.url,
        a.security_policy,
        a.security_mode,
        login,
        pki,
        a.trust_server_certificate,
    )
    .map_err(anyhow::Error::msg)?;
    let nodes = browse_server(&conn, a.node.as_deref(), a.depth).await?;
    let mut out = std::io::stdout().lock();
    for n in &nodes {
        writeln!(out, "{}", line(n))?;
    }
    Ok(())
}

/// `  Temperature [Variable] ns=2;s=Machine.Temperature Double = 61.2`
fn line(n: &BrowsedNode) -> String {
    let mut s = format!(
        "{}{} [{}] {}",
        "  ".repeat(n.depth.saturating_sub(1) as usize),
        n.browse_name,
        n.node_class,
        n.node_id
    );
    if let Some(t) = &n.data_type {
        s.push(' ');
        s.push_str(t);
    }
    if let Some(v) = &n.value {
        s.push_str(" = ");
        s.push_str(v);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_indent_by_depth_and_show_variables() {
        let n = BrowsedNode {
            depth: 2,
            node_id: "ns=2;s=M.T".into(),
            browse_name: "2:T".into(),
            node_class: "Variable".into(),
            data_type: Some("Double".into()),
            value: Some("1.5".into()),
        };
        assert_eq!(line(&n), "  2:T [Variable] ns=2;s=M.T Double = 1.5");
    }
}
