//! Clients that stop sending. actix-web bounds the wait for a request's
//! headers and between keep-alive requests, but once a handler reads the
//! body it waits for the next bytes for ever. A client that sends a few bytes
//! and stalls holds a connection and a staged upload for good, and a
//! handful of such clients exhausts the server (slowloris). So every
//! request's body is read through a guard that fails it after `stall` without
//! a byte; the handler then answers (or drops the connection) as for any
//! body cut short, and staged bytes are cleaned up as they are then.

use std::io;
use std::time::Duration;

use actix_web::dev::{Payload, ServiceRequest};
use actix_web::error::PayloadError;
use futures::StreamExt;

/// Replaces `req`'s body with one that fails after `stall` without data.
pub(crate) fn guard_body(req: &mut ServiceRequest, stall: Duration) {
    let (_, payload) = req.parts_mut();
    let body = std::mem::replace(payload, Payload::None);
    let guarded = futures::stream::unfold(Some(body), move |body| async move {
        let mut body = body?;
        match tokio::time::timeout(stall, body.next()).await {
            Ok(Some(chunk)) => Some((chunk, Some(body))),
            Ok(None) => None,
            Err(_) => {
                metrics::counter!("darkroom_stalled_bodies_total").increment(1);
                let stalled = io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("the client sent nothing for {} s", stall.as_secs()),
                );
                // One error, then the end: the stalled body is not read again.
                Some((Err(PayloadError::Io(stalled)), None))
            }
        }
    });
    // Fused: readers may ask again after the end, which unfold forbids.
    req.set_payload(Payload::Stream {
        payload: Box::pin(guarded.fuse()),
    });
}
