//! The HTTPS certificate: from files, or self-signed once and kept in the
//! data directory so that clients can pin it across restarts.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The certificate and key files: the given ones, or the self-signed
/// pair in the data directory (made on first use). MQTT over TLS uses
/// these too.
pub fn cert_files(
    files: Option<(&Path, &Path)>,
    data: &Path,
) -> anyhow::Result<(std::path::PathBuf, std::path::PathBuf)> {
    match files {
        Some((c, k)) => Ok((c.to_path_buf(), k.to_path_buf())),
        None => self_signed(data),
    }
}

/// A rustls server configuration for HTTP/1.1 and HTTP/2.
pub fn server_config(
    files: Option<(&Path, &Path)>,
    data: &Path,
) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let (cert_path, key_path) = cert_files(files, data)?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert_path)
        .with_context(|| format!("reading certificate {}", cert_path.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("parsing certificate {}", cert_path.display()))?;
    let key = PrivateKeyDer::from_pem_file(&key_path)
        .with_context(|| format!("reading private key {}", key_path.display()))?;
    let mut cfg = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("the certificate and key do not form a usable pair")?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

fn self_signed(data: &Path) -> anyhow::Result<(std::path::PathBuf, std::path::PathBuf)> {
    let dir = data.join("tls");
    let (cert, key) = (dir.join("self-signed.crt"), dir.join("self-signed.key"));
    if cert.exists() && key.exists() {
        return Ok((cert, key));
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    let generated = rcgen::generate_simple_self_signed(names)
        .context("generating a self-signed certificate")?;
    std::fs::write(&cert, generated.cert.pem())?;
    std::fs::write(&key, generated.signing_key.serialize_pem())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok((cert, key))
}
