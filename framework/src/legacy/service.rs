//! The legacy face of a typed handler: the same admission hooks and the same `forward`, with
//! the request read from the SDK's synapse JSON and the answer given as the response's fields.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use super::LegacySynapse;
use crate::handler::{Handler, RequestContext};
use crate::protocol::StatusCode;
use crate::service::{Admitted, BoxFuture, Refusal, Service, ServiceKind, Work, admit};

/// One legacy synapse as an HTTP server sees it: a [`Service`] whose bodies are JSON, and the
/// fields the dendrite's signature covers.
#[derive(Clone)]
pub struct LegacyService {
    /// Decodes the synapse JSON (400), runs verify (401), blacklist (403) and priority, and
    /// resolves to the response's fields as a JSON object.
    pub service: Arc<dyn Service>,
    /// The synapse's `required_hash_fields`.
    pub hashed_fields: &'static [&'static str],
    /// The name of the QUIC synapse answered by the same handler (its queue is shared).
    pub synapse: &'static str,
}

impl std::fmt::Debug for LegacyService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LegacyService")
            .field("name", &self.service.name())
            .field("synapse", &self.synapse)
            .field("hashed_fields", &self.hashed_fields)
            .finish()
    }
}

/// Wraps a unary handler of `S` for the legacy HTTP protocol. The service's name is
/// [`LegacySynapse::LEGACY_NAME`] (the URL path).
pub fn legacy_unary<S: LegacySynapse, H: Handler<S>>(handler: Arc<H>) -> LegacyService {
    LegacyService {
        service: Arc::new(LegacyUnary::<S, H> {
            handler,
            _s: PhantomData,
        }),
        hashed_fields: S::REQUIRED_HASH_FIELDS,
        synapse: <S as crate::synapse::Synapse>::NAME,
    }
}

struct LegacyUnary<S, H> {
    handler: Arc<H>,
    _s: PhantomData<fn() -> S>,
}

impl<S: LegacySynapse, H: Handler<S>> Service for LegacyUnary<S, H> {
    fn name(&self) -> &'static str {
        S::LEGACY_NAME
    }

    fn kind(&self) -> ServiceKind {
        ServiceKind::Unary
    }

    fn timeout(&self) -> Duration {
        S::TIMEOUT
    }

    fn max_request_bytes(&self) -> Option<usize> {
        S::MAX_REQUEST_BYTES
    }

    /// `body` is the synapse JSON; serde_json bounds its nesting (128), so `max_depth` does
    /// not apply.
    fn admit(
        &self,
        ctx: RequestContext,
        body: &[u8],
        _max_depth: usize,
    ) -> BoxFuture<'static, Result<Admitted, Refusal>> {
        let decoded = S::from_legacy_json(body)
            .map_err(|e| Refusal::new(StatusCode::BAD_REQUEST, e.to_string()));
        let handler = self.handler.clone();
        Box::pin(async move {
            let request = decoded?;
            let priority = admit(&*handler, &ctx, &request).await?;
            let work = Work::Unary(Box::pin(async move {
                let response = handler.forward(&ctx, request).await?;
                let fields = S::response_fields(&response)
                    .map_err(|e| Refusal::new(StatusCode::INTERNAL_ERROR, e.to_string()))?;
                serde_json::to_vec(&fields)
                    .map_err(|e| Refusal::new(StatusCode::INTERNAL_ERROR, e.to_string()))
            }));
            Ok(Admitted { priority, work })
        })
    }
}
