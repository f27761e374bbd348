//! A self-signed certificate for `localhost` and `127.0.0.1`, as PEM text and as files.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::tempdir::TempDir;

/// A fresh rcgen certificate and key, written to `cert.pem` and `key.pem` in a temporary
/// directory that lives as long as this value.
///
/// The certificate is its own issuer, so trusting it as a root (`--client-ssl-ca`, or a client's
/// only root) is enough to verify it.
#[derive(Debug)]
pub struct TestCert {
    dir: TempDir,
    cert_pem: String,
    key_pem: String,
}

impl TestCert {
    /// Generates a certificate valid for `localhost` and `127.0.0.1`.
    pub fn generate() -> anyhow::Result<Self> {
        let certified =
            rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
                .context("cannot generate a self-signed certificate")?;
        let cert_pem = certified.cert.pem();
        let key_pem = certified.signing_key.serialize_pem();
        let dir = TempDir::new()?;
        std::fs::write(dir.join("cert.pem"), &cert_pem)?;
        std::fs::write(dir.join("key.pem"), &key_pem)?;
        Ok(Self {
            dir,
            cert_pem,
            key_pem,
        })
    }

    /// The certificate file.
    pub fn cert_path(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }

    /// The private key file.
    pub fn key_path(&self) -> PathBuf {
        self.dir.join("key.pem")
    }

    /// The directory holding both files.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The certificate as PEM text.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The certificate as a reqwest root, for clients that should trust only it.
    pub fn reqwest_root(&self) -> anyhow::Result<reqwest::Certificate> {
        Ok(reqwest::Certificate::from_pem(self.cert_pem.as_bytes())?)
    }

    /// A rustls server config presenting this certificate and offering `alpn`.
    pub fn server_config(&self, alpn: &[&[u8]]) -> anyhow::Result<Arc<rustls::ServerConfig>> {
        let chain = vec![CertificateDer::from_pem_slice(self.cert_pem.as_bytes())?];
        let key = PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes())?;
        // An explicit provider: with more than one rustls backend compiled in, the implicit
        // default would be ambiguous.
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(Arc::new(config))
    }
}
