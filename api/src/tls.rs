//! HTTPS (rustls) and mutual TLS for partners.
//!
//! With a certificate and key the server speaks HTTPS only. With a client
//! CA as well it asks every client for a certificate and verifies any it is
//! given against that CA; a client without one still connects (browsers,
//! apps), but an API token bound to a certificate works only over a
//! connection that presents that very certificate (see `auth`).

use std::any::Any;
use std::path::PathBuf;
use std::sync::Arc;

use actix_web::dev::Extensions;
use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};

/// Where the server's certificate, key and (for mutual TLS) client CA are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    /// PEM: the server's certificate chain, leaf first.
    pub cert: PathBuf,
    /// PEM: its private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// PEM: the CA(s) that sign partners' client certificates.
    pub client_ca: Option<PathBuf>,
}

/// Why TLS could not be set up: said with the file it is about.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{path}: {reason}")]
    File { path: PathBuf, reason: String },
    #[error("TLS: {0}")]
    Config(String),
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// The rustls configuration `files` describe.
pub(crate) fn server_config(files: &TlsFiles) -> Result<rustls::ServerConfig, TlsError> {
    let file_error = |path: &PathBuf, reason: String| TlsError::File {
        path: path.clone(),
        reason,
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .and_then(|certs| certs.collect())
        .map_err(|e| file_error(&files.cert, e.to_string()))?;
    if chain.is_empty() {
        return Err(file_error(&files.cert, "no certificate in it".into()));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|e| file_error(&files.key, format!("no private key read: {e}")))?;
    let builder = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?;
    let builder = match &files.client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            let cas = CertificateDer::pem_file_iter(ca)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| file_error(ca, e.to_string()))?;
            for cert in cas {
                roots
                    .add(cert)
                    .map_err(|e| file_error(ca, format!("not a CA certificate: {e}")))?;
            }
            if roots.is_empty() {
                return Err(file_error(ca, "no certificate in it".into()));
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
                // Browsers and apps connect without one; only tokens
                // bound to a certificate need it.
                .allow_unauthenticated()
                .build()
                .map_err(|e| TlsError::Config(e.to_string()))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    builder
        .with_single_cert(chain, key)
        .map_err(|e| TlsError::Config(format!("the certificate and key do not go together: {e}")))
}

/// The verified client certificate of a connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ClientCertificate {
    /// SHA-256 of its DER bytes, lowercase hex: what `openssl x509
    /// -fingerprint -sha256` prints, without the colons.
    pub sha256: String,
}

/// SHA-256 fingerprint of a DER certificate, lowercase hex.
pub(crate) fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A fingerprint as people paste it (any case, colons or not) in the
/// form it is stored; `None` when it is not 32 bytes of hex.
pub(crate) fn normalised_fingerprint(text: &str) -> Option<String> {
    let hex: String = text
        .chars()
        .filter(|c| *c != ':')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit())).then_some(hex)
}

/// Called for each new connection: keeps the client certificate, if the
/// connection came with one, for the requests on it.
pub(crate) fn on_connect(connection: &dyn Any, data: &mut Extensions) {
    type Tls = actix_tls::accept::rustls_0_23::TlsStream<actix_web::rt::net::TcpStream>;
    if let Some(tls) = connection.downcast_ref::<Tls>() {
        let (_, session) = tls.get_ref();
        if let Some(leaf) = session.peer_certificates().and_then(|c| c.first()) {
            data.insert(ClientCertificate {
                sha256: fingerprint(leaf),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_read_as_people_paste_them() {
        let hex = "AB:".repeat(31) + "AB";
        assert_eq!(normalised_fingerprint(&hex), Some("ab".repeat(32)));
        assert_eq!(normalised_fingerprint("abc"), None);
        assert_eq!(normalised_fingerprint(&"zz".repeat(32)), None);
        assert_eq!(fingerprint(b"").len(), 64);
    }
}
