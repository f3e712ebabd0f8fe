//! An async-opcua client and session for one [`Connection`]: ferrotwin's
//! application identity and PKI, the endpoint matching the configured
//! security, the login, and a session event loop that reconnects and
//! restores subscriptions by itself for a while before giving up.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::task::JoinHandle;
use ua::client::{Client, ClientBuilder, IdentityToken, Password, Session, SessionPollResult};
use ua::crypto::{CertificateStore, SecurityPolicy as UaPolicy, X509};
use ua::types::{EndpointDescription, MessageSecurityMode, StatusCode, UserTokenType};

use super::config::{Connection, SecurityMode, SecurityPolicy};

/// The application URI in ferrotwin's client certificate.
const APPLICATION_URI: &str = "urn:ferrotwin:opcua-client";

/// How long one connection attempt may take before it counts as failed.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// An open session and the task driving it.
pub(crate) struct Open {
    pub(crate) session: Arc<Session>,
    /// Ends when the session is closed (Good) or reconnecting gave up.
    pub(crate) event_loop: JoinHandle<StatusCode>,
}

impl Open {
    /// Closes the session and waits for its event loop.
    pub(crate) async fn close(self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.session.disconnect()).await;
        let _ = tokio::time::timeout(Duration::from_secs(5), self.event_loop).await;
    }
}

/// A client with ferrotwin's identity, creating its key pair in the PKI
/// directory on first use. A lost connection is retried `retries` times
/// within the session (which restores its subscriptions) before its event
/// loop ends.
pub(crate) fn client(conn: &Connection, retries: i32) -> Result<Client, String> {
    ClientBuilder::new()
        .application_name("ferrotwin")
        .application_uri(APPLICATION_URI)
        .product_uri("urn:ferrotwin")
        .session_name("ferrotwin")
        .pki_dir(&conn.pki_dir)
        .create_sample_keypair(true)
        .trust_server_certs(conn.trust_server_certificate)
        .verify_server_certs(true)
        // Reconnect inside the session a few times, restoring the
        // subscriptions; after that the caller starts over from scratch.
        .session_retry_limit(retries)
        .session_retry_initial(Duration::from_millis(500))
        .session_retry_max(Duration::from_secs(10))
        .keep_alive_interval(Duration::from_secs(5))
        .max_failed_keep_alive_count(3)
        .request_timeout(Duration::from_secs(10))
        .client()
        .map_err(|errors| format!("OPC UA client settings: {}", errors.join("; ")))
}

/// Connects: finds the endpoint, logs in, and waits until the session is
/// active. `label` names the connection in logs.
pub(crate) async fn open(
    client: &mut Client,
    conn: &Connection,
    label: &str,
) -> Result<Open, String> {
    let endpoint = tokio::time::timeout(CONNECT_TIMEOUT, endpoint(client, conn))
        .await
        .map_err(|_| format!("{} did not answer GetEndpoints in time", conn.url))??;
    // Before each attempt, so a certificate put in trusted/ meanwhile counts.
    adopt_trusted(&conn.pki_dir);
    if conn.trust_server_certificate {
        trust(&conn.pki_dir, &endpoint, label);
    }
    let (session, event_loop) = client
        .connect_to_endpoint_directly(endpoint, identity(conn))
        .map_err(|e| e.to_string())?;
    let event_loop = tokio::spawn(drive(event_loop, session.clone(), label.to_string()));
    let mut open = Open {
        session,
        event_loop,
    };
    let connected = tokio::select! {
        c = tokio::time::timeout(CONNECT_TIMEOUT, open.session.wait_for_connection()) => c,
        r = &mut open.event_loop => {
            let status = r.unwrap_or(StatusCode::BadUnexpectedError);
            return Err(explain(status, conn));
        }
    };
    match connected {
        Ok(true) => Ok(open),
        _ => {
            open.close().await;
            Err(format!(
                "no session with {} within {CONNECT_TIMEOUT:?}",
                conn.url
            ))
        }
    }
}

/// Polls the session event loop, logging connection changes; returns how
/// it ended.
async fn drive<T>(
    event_loop: ua::client::SessionEventLoop<T>,
    session: Arc<Session>,
    label: String,
) -> StatusCode
where
    T: ua::client::transport::Connector + Send + Sync + 'static,
{
    let stream = event_loop.enter();
    futures_util::pin_mut!(stream);
    let mut lost = false;
    // The first failure of a streak says most (a refused login); later
    // ones are often just the server hanging up on the retry.
    let mut first_failure = None;
    while let Some(item) = stream.next().await {
        match item {
            Ok(SessionPollResult::ConnectionLost(code)) => {
                lost = true;
                tracing::warn!(source = %label, "OPC UA connection lost ({code}); reconnecting");
            }
            Ok(SessionPollResult::ReconnectFailed(code)) => {
                first_failure.get_or_insert(code);
                if lost {
                    tracing::warn!(source = %label, "OPC UA reconnect failed ({code})");
                }
            }
            Ok(SessionPollResult::Reconnected(mode)) => {
                first_failure = None;
                if lost {
                    // async-opcua 0.19 transfers or recreates the
                    // subscriptions while reconnecting, but its new publish
                    // loop starts idle and waits for a trigger that came
                    // before it existed: without this, no data would flow.
                    session.trigger_publish_now();
                    tracing::info!(source = %label, ?mode, "OPC UA session back; subscriptions restored");
                }
            }
            Ok(_) => {}
            Err(code) => return first_failure.unwrap_or(code),
        }
    }
    StatusCode::Good
}

/// Says what a failed connection means and what to do about it.
pub(crate) fn explain(status: StatusCode, conn: &Connection) -> String {
    let pki = conn.pki_dir.display();
    match status {
        StatusCode::BadCertificateUntrusted | StatusCode::BadSecurityChecksFailed => format!(
            "the server's certificate is not trusted ({status}): it was saved in {pki}/rejected/; move it to {pki}/trusted/ to trust it (or, for a first set-up only, set trust_server_certificate)"
        ),
        StatusCode::BadUserAccessDenied
        | StatusCode::BadIdentityTokenRejected
        | StatusCode::BadIdentityTokenInvalid => {
            format!("the server refused the login ({status}): check username and password")
        }
        StatusCode::BadCertificateHostNameInvalid | StatusCode::BadCertificateUriInvalid => {
            format!(
                "the server's certificate does not match its address or application URI ({status})"
            )
        }
        other => format!("connecting to {} failed: {other}", conn.url),
    }
}

fn identity(conn: &Connection) -> IdentityToken {
    match &conn.login {
        Some((user, password)) => IdentityToken::UserName(user.clone(), Password::new(password)),
        None => IdentityToken::Anonymous,
    }
}

/// The server's endpoint with the configured policy and mode that takes
/// the configured kind of login.
async fn endpoint(client: &Client, conn: &Connection) -> Result<EndpointDescription, String> {
    let offered = client
        .get_server_endpoints_from_url(conn.url.as_str())
        .await
        .map_err(|e| format!("asking {} for its endpoints: {e}", conn.url))?;
    let (policy, mode) = match (conn.policy, conn.mode) {
        (SecurityPolicy::None, _) => (UaPolicy::None, MessageSecurityMode::None),
        (SecurityPolicy::Basic256Sha256, m) => (
            UaPolicy::Basic256Sha256,
            match m {
                SecurityMode::Sign => MessageSecurityMode::Sign,
                _ => MessageSecurityMode::SignAndEncrypt,
            },
        ),
    };
    let list = || {
        offered
            .iter()
            .map(|e| {
                format!(
                    "{} {} {:?}",
                    e.endpoint_url,
                    UaPolicy::from_uri(e.security_policy_uri.as_ref()),
                    e.security_mode
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some(found) = Client::find_matching_endpoint(&offered, &conn.url, policy, mode) else {
        return Err(format!(
            "{} offers no endpoint with security {policy} {mode:?} at that path; it offers: {}",
            conn.url,
            list()
        ));
    };
    let wanted = if conn.login.is_some() {
        UserTokenType::UserName
    } else {
        UserTokenType::Anonymous
    };
    let takes = found
        .user_identity_tokens
        .as_ref()
        .is_some_and(|ts| ts.iter().any(|t| t.token_type == wanted));
    if !takes {
        return Err(format!(
            "{}'s {policy} {mode:?} endpoint does not take {} logins",
            conn.url,
            if conn.login.is_some() {
                "username"
            } else {
                "anonymous"
            }
        ));
    }
    Ok(found)
}

/// Trusts the certificate `endpoint` presents (`trust_server_certificate`):
/// saved in `trusted/` under the name the certificate store looks for, and
/// taken out of `rejected/`, where an earlier refusal would have put it.
fn trust(pki: &Path, endpoint: &EndpointDescription, label: &str) {
    if endpoint.server_certificate.is_null_or_empty() {
        return;
    }
    let Ok(cert) = X509::from_byte_string(&endpoint.server_certificate) else {
        return;
    };
    let name = CertificateStore::cert_file_name(&cert);
    let trusted = pki.join("trusted").join(&name);
    if !trusted.exists() {
        tracing::warn!(source = %label, certificate = %name, "trusting the server's certificate because trust_server_certificate is set");
        let saved = std::fs::create_dir_all(pki.join("trusted"))
            .and_then(|_| std::fs::write(&trusted, endpoint.server_certificate.as_ref()));
        if let Err(e) = saved {
            tracing::error!(source = %label, "cannot save {}: {e}", trusted.display());
        }
    }
    let _ = std::fs::remove_file(pki.join("rejected").join(&name));
}

/// Gives every certificate put in `trusted/` by hand (DER or PEM, any file
/// name) a copy under the name the certificate store looks it up by, and
/// takes it out of `rejected/` (checked first, so it would still refuse).
fn adopt_trusted(pki: &Path) {
    let Ok(entries) = std::fs::read_dir(pki.join("trusted")) else {
        return;
    };
    for path in entries.flatten().map(|e| e.path()) {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if !matches!(ext, "der" | "pem" | "crt") {
            continue;
        }
        let Ok(cert) = CertificateStore::read_cert(&path) else {
            tracing::warn!("{} is not a certificate; ignored", path.display());
            continue;
        };
        let name = CertificateStore::cert_file_name(&cert);
        let _ = std::fs::remove_file(pki.join("rejected").join(&name));
        let canonical = pki.join("trusted").join(name);
        if canonical != path && !canonical.exists() {
            match cert.to_der() {
                Ok(der) => {
                    if let Err(e) = std::fs::write(&canonical, der) {
                        tracing::error!("cannot save {}: {e}", canonical.display());
                    }
                }
                Err(e) => tracing::warn!("{}: {e}", path.display()),
            }
        }
    }
}
