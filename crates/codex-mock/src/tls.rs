//! Accept loop, connection serving and the throwaway test CA.

use std::sync::Arc;

use hyper::service::service_fn;
use hyper_util::rt::TokioExecutor;
use hyper_util::rt::TokioIo;
use hyper_util::server::conn::auto;
use rcgen::BasicConstraints;
use rcgen::CertificateParams;
use rcgen::CertifiedIssuer;
use rcgen::DnType;
use rcgen::IsCa;
use rcgen::KeyPair;
use rcgen::KeyUsagePurpose;
use rustls::pki_types::PrivateKeyDer;
use rustls::pki_types::PrivatePkcs8KeyDer;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use crate::server::Shared;
use crate::server::handle;

fn io_err(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(format!("codex-mock tls: {e}"))
}

/// A fresh CA and a leaf certificate for 127.0.0.1 and localhost; returns the acceptor and
/// the CA's PEM and DER.
pub(crate) fn acceptor() -> std::io::Result<(TlsAcceptor, String, Vec<u8>)> {
    let ca_key = KeyPair::generate().map_err(io_err)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(io_err)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "codex-mock test CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).map_err(io_err)?;

    let leaf_key = KeyPair::generate().map_err(io_err)?;
    let mut leaf_params =
        CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .map_err(io_err)?;
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "codex-mock");
    let leaf = leaf_params.signed_by(&leaf_key, &ca).map_err(io_err)?;

    // aws-lc-rs, the provider the SDK uses: it negotiates X25519MLKEM768 as the backend's CDN
    // does. (rcgen keeps ring for key generation: certificates only.)
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io_err)?
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .map_err(io_err)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok((
        TlsAcceptor::from(Arc::new(config)),
        ca.pem(),
        ca.der().to_vec(),
    ))
}

/// The key exchange groups negotiated by TLS handshakes, in order (e.g. `X25519MLKEM768`).
pub(crate) type KxLog = Arc<std::sync::Mutex<Vec<String>>>;

/// Accept connections until aborted; aborting drops the JoinSet, which ends every connection.
pub(crate) async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    shared: Arc<Shared>,
    kx_log: KxLog,
) {
    let mut conns = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            Some(_) = conns.join_next(), if !conns.is_empty() => continue,
        };
        let Ok((stream, _peer)) = accepted else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let tls = tls.clone();
        let kx_log = kx_log.clone();
        conns.spawn(async move {
            let svc = service_fn(move |req| handle(shared.clone(), req));
            let builder = auto::Builder::new(TokioExecutor::new());
            match tls {
                Some(acceptor) => {
                    if let Ok(s) = acceptor.accept(stream).await {
                        if let Some(g) = s.get_ref().1.negotiated_key_exchange_group() {
                            kx_log
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .push(format!("{:?}", g.name()));
                        }
                        let _ = builder
                            .serve_connection_with_upgrades(TokioIo::new(s), svc)
                            .await;
                    }
                }
                None => {
                    let _ = builder
                        .serve_connection_with_upgrades(TokioIo::new(stream), svc)
                        .await;
                }
            }
        });
    }
}
