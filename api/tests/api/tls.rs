//! HTTPS and mutual TLS, with certificates made here (rcgen) and a real
//! client (reqwest over rustls): the server speaks only TLS, marks cookies
//! Secure, and a token bound to a client certificate works only over a
//! connection presenting that certificate.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};
use reqwest::{Certificate, Identity};
use serde_json::{Value, json};
use sha2::Digest;

use crate::helpers::{Backend, assert_error, spawn_app_with};

/// A CA for partners, the server's certificate signed by it, two partners'
/// client certificates signed by it and one signed by a stranger's CA.
struct Pki {
    dir: tempfile::TempDir,
    ca_pem: String,
    partner: (Identity, String),
    other_partner: Identity,
    stranger: Identity,
}

fn ca(name: &str) -> (CertificateParams, KeyPair, String) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let pem = params.self_signed(&key).unwrap().pem();
    (params, key, pem)
}

/// A leaf signed by `issuer`: its PEM, its key's PEM, its DER.
fn leaf(name: &str, issuer: &Issuer<'_, &KeyPair>) -> (String, String, Vec<u8>) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params
        .subject_alt_names
        .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    params.distinguished_name.push(DnType::CommonName, name);
    let cert = params.signed_by(&key, issuer).unwrap();
    (cert.pem(), key.serialize_pem(), cert.der().to_vec())
}

fn identity(cert: &str, key: &str) -> Identity {
    Identity::from_pem(format!("{cert}{key}").as_bytes()).unwrap()
}

fn pki() -> Pki {
    let dir = tempfile::tempdir().unwrap();
    let (ca_params, ca_key, ca_pem) = ca("darkroom test partners CA");
    let issuer = Issuer::from_params(&ca_params, &ca_key);
    let (server_cert, server_key, _) = leaf("darkroom test server", &issuer);
    std::fs::write(dir.path().join("server.pem"), server_cert).unwrap();
    std::fs::write(dir.path().join("server.key"), server_key).unwrap();
    std::fs::write(dir.path().join("partners-ca.pem"), &ca_pem).unwrap();
    let (cert, key, der) = leaf("print lab", &issuer);
    let fingerprint = sha2::Sha256::digest(&der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    let (other_cert, other_key, _) = leaf("camera maker", &issuer);
    let (stranger_params, stranger_key, _) = ca("someone else's CA");
    let stranger_issuer = Issuer::from_params(&stranger_params, &stranger_key);
    let (stranger_cert, stranger_key_pem, _) = leaf("print lab", &stranger_issuer);
    Pki {
        partner: (identity(&cert, &key), fingerprint),
        other_partner: identity(&other_cert, &other_key),
        stranger: identity(&stranger_cert, &stranger_key_pem),
        ca_pem,
        dir,
    }
}

impl Pki {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A client that trusts the server, presenting `identity` if given.
    fn client(&self, identity: Option<&Identity>) -> reqwest::Client {
        let mut builder = reqwest::Client::builder()
            .add_root_certificate(Certificate::from_pem(self.ca_pem.as_bytes()).unwrap())
            .cookie_store(true);
        if let Some(identity) = identity {
            builder = builder.identity(identity.clone());
        }
        builder.build().unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_client_certificates_and_tokens_bound_to_them() {
    let pki = pki();
    let files = darkroom_api::TlsFiles {
        cert: pki.path("server.pem"),
        key: pki.path("server.key"),
        client_ca: Some(pki.path("partners-ca.pem")),
    };
    let app = spawn_app_with(Backend::SqliteLocal, |config| config.tls = Some(files))
        .await
        .expect("the embedded backend always works");
    let port = app.address.rsplit(':').next().unwrap().to_string();
    let url = |path: &str| format!("https://localhost:{port}{path}");

    // HTTPS only: plain HTTP on the port gets no answer.
    let plain = reqwest::Client::new().get(app.url("/healthz")).send().await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
    let anyone = pki.client(None);
    assert_eq!(
        anyone.get(url("/healthz")).send().await.unwrap().status(),
        200
    );

    // A browser signs in: the session cookie is Secure.
    let made_user = anyone
        .post(url("/api/v1/admin/users"))
        .bearer_auth(&app.token)
        .json(&json!({"name": "pia", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(made_user.status(), 201);
    let login = anyone
        .post(url("/api/v1/auth/login"))
        .json(&json!({"username": "pia", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("Secure"), "{cookie}");

    // A token for the print lab, bound to its certificate's fingerprint
    // (as `openssl x509 -fingerprint -sha256` prints it).
    let (lab_identity, fingerprint) = &pki.partner;
    let made: Value = anyone
        .post(url("/api/v1/tokens"))
        .bearer_auth(&app.token)
        .json(&json!({"name": "print lab", "scopes": ["read"], "certificate_sha256": fingerprint}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bound = made["token"].as_str().expect("a token").to_string();
    assert_eq!(
        made["certificate_sha256"],
        fingerprint.replace(':', "").to_lowercase()
    );
    let assets = |client: reqwest::Client| {
        let bound = bound.clone();
        let url = url("/api/v1/assets");
        async move { client.get(url).bearer_auth(bound).send().await }
    };
    // Over a connection with the lab's certificate: it works.
    let lab = pki.client(Some(lab_identity));
    assert_eq!(assets(lab.clone()).await.unwrap().status(), 200);
    // Without a certificate, or with another partner's: refused.
    assert_error(
        assets(anyone.clone()).await.unwrap(),
        403,
        "certificate_required",
    )
    .await;
    let other = pki.client(Some(&pki.other_partner));
    assert_error(assets(other).await.unwrap(), 403, "certificate_required").await;
    // A certificate from a CA the server does not know ends the handshake.
    let stranger = pki.client(Some(&pki.stranger));
    assert!(assets(stranger).await.is_err(), "unknown issuer refused");
    // Unbound tokens still work from anywhere, and the list says what is bound.
    let listed: Value = lab
        .get(url("/api/v1/tokens"))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entry = listed["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "print lab")
        .unwrap()
        .clone();
    assert_eq!(entry["certificate_sha256"], made["certificate_sha256"]);
    // A fingerprint that is not one is refused.
    let bad = anyone
        .post(url("/api/v1/tokens"))
        .bearer_auth(&app.token)
        .json(&json!({"name": "x", "scopes": ["read"], "certificate_sha256": "abc"}))
        .send()
        .await
        .unwrap();
    assert_error(bad, 422, "invalid_field").await;
}

#[tokio::test]
async fn a_bad_certificate_file_is_a_clear_error_at_start() {
    let pki = pki();
    std::fs::write(pki.path("empty.pem"), "").unwrap();
    let result = std::panic::AssertUnwindSafe(spawn_app_with(Backend::SqliteLocal, |config| {
        config.tls = Some(darkroom_api::TlsFiles {
            cert: pki.path("empty.pem"),
            key: pki.path("server.key"),
            client_ca: None,
        })
    }));
    let panicked = futures::FutureExt::catch_unwind(result).await;
    let message = panicked
        .err()
        .and_then(|p| p.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    assert!(
        message.contains("empty.pem") && message.contains("no certificate"),
        "{message}"
    );
}
