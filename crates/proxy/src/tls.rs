//! TLS settings from PEM files: the public and API listeners, and connections to `https://` targets.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

/// A TLS file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file is missing, unreadable or holds nothing usable.
    #[error("cannot read {what} from {path}: {reason}")]
    File {
        /// Which file it is (`--ssl-cert`, ...).
        what: &'static str,
        /// Its path.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// One of a key and certificate pair is missing.
    #[error("{given} was given without {missing}; pass both")]
    Incomplete {
        /// The flag that was given.
        given: String,
        /// The flag that is missing.
        missing: String,
    },
    /// rustls refused the combination.
    #[error("invalid TLS settings: {0}")]
    Rustls(#[from] rustls::Error),
    /// The client-certificate verifier could not be built.
    #[error("invalid client CA: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
    /// `--ssl-protocol` names something rustls does not speak.
    #[error("unsupported --ssl-protocol {0:?}: use TLSv1_2 or TLSv1_3")]
    Protocol(String),
}

/// The PEM files and switches of one listener (`--ssl-*` or `--api-ssl-*`).
#[derive(Debug, Clone, Default)]
pub struct ServerTlsFiles {
    /// The private key.
    pub key: Option<PathBuf>,
    /// The certificate chain.
    pub cert: Option<PathBuf>,
    /// CAs that sign client certificates.
    pub ca: Option<PathBuf>,
    /// Ask clients for a certificate.
    pub request_cert: bool,
    /// Refuse clients without a valid certificate (only with `request_cert`).
    pub reject_unauthorized: bool,
    /// The oldest protocol version to accept (`--ssl-protocol`).
    pub protocol: Option<String>,
}

/// The PEM files for connecting to `https://` targets (`--client-ssl-*`).
#[derive(Debug, Clone, Default)]
pub struct ClientTlsFiles {
    /// A client private key, presented with `cert`.
    pub key: Option<PathBuf>,
    /// A client certificate chain.
    pub cert: Option<PathBuf>,
    /// CAs to trust instead of the system's.
    pub ca: Option<PathBuf>,
    /// Skip certificate verification (`--insecure`).
    pub insecure: bool,
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn file_error(what: &'static str, path: &Path, reason: impl ToString) -> TlsError {
    TlsError::File {
        what,
        path: path.to_owned(),
        reason: reason.to_string(),
    }
}

fn certs(what: &'static str, path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| file_error(what, path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_error(what, path, e))?;
    if certs.is_empty() {
        return Err(file_error(what, path, "no PEM certificate in it"));
    }
    Ok(certs)
}

fn key(what: &'static str, path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| file_error(what, path, e))
}

fn roots(what: &'static str, path: &Path) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for cert in certs(what, path)? {
        roots.add(cert)?;
    }
    Ok(roots)
}

fn versions(
    protocol: Option<&str>,
) -> Result<&'static [&'static rustls::SupportedProtocolVersion], TlsError> {
    static BOTH: &[&rustls::SupportedProtocolVersion] =
        &[&rustls::version::TLS13, &rustls::version::TLS12];
    static TLS13: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS13];
    match protocol {
        None | Some("TLSv1_2" | "TLS" | "SSLv23" | "TLS_method" | "SSLv23_method") => Ok(BOTH),
        Some("TLSv1_3") => Ok(TLS13),
        Some(other) => Err(TlsError::Protocol(other.to_owned())),
    }
}

/// A server config from `--ssl-key`/`--ssl-cert`, offering `alpn` (for example `h2`, `http/1.1`).
pub fn server_config(
    files: &ServerTlsFiles,
    flag: &'static str,
    alpn: &[&[u8]],
) -> Result<Option<Arc<rustls::ServerConfig>>, TlsError> {
    let (key_path, cert_path) = match (&files.key, &files.cert) {
        (None, None) => return Ok(None),
        (Some(key), Some(cert)) => (key, cert),
        (Some(_), None) => {
            return Err(TlsError::Incomplete {
                given: flag.replace("-cert", "-key"),
                missing: flag.to_owned(),
            });
        }
        (None, Some(_)) => {
            return Err(TlsError::Incomplete {
                given: flag.to_owned(),
                missing: flag.replace("-cert", "-key"),
            });
        }
    };
    let chain = certs(flag, cert_path)?;
    let key = key(flag, key_path)?;
    let builder = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(versions(files.protocol.as_deref())?)?;
    let builder = match (&files.ca, files.request_cert) {
        (Some(ca), true) => {
            let verifier =
                WebPkiClientVerifier::builder_with_provider(Arc::new(roots(flag, ca)?), provider());
            let verifier = if files.reject_unauthorized {
                verifier.build()?
            } else {
                verifier.allow_unauthenticated().build()?
            };
            builder.with_client_cert_verifier(verifier)
        }
        _ => builder.with_no_client_auth(),
    };
    let mut config = builder.with_single_cert(chain, key)?;
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(Some(Arc::new(config)))
}

/// The client config for `https://` targets.
pub fn client_config(files: &ClientTlsFiles) -> Result<Arc<rustls::ClientConfig>, TlsError> {
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(versions(None)?)?;
    let builder = if files.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerification(provider())))
    } else if let Some(ca) = &files.ca {
        builder.with_root_certificates(roots("--client-ssl-ca", ca)?)
    } else {
        let mut roots = RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        for error in &native.errors {
            tracing::debug!(%error, "skipping a system CA certificate");
        }
        roots.add_parsable_certificates(native.certs);
        builder.with_root_certificates(roots)
    };
    let config = match (&files.key, &files.cert) {
        (Some(key_path), Some(cert_path)) => builder.with_client_auth_cert(
            certs("--client-ssl-cert", cert_path)?,
            key("--client-ssl-key", key_path)?,
        )?,
        _ => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// `--insecure`: accept any target certificate, still checking that signatures are well-formed.
#[derive(Debug)]
struct NoVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
