//! Channels as response bodies: the full-size export and the ZIP builder
//! hand their bytes over a bounded channel, and a body reads it to its end.

use futures::Stream;
use tokio::sync::mpsc;

/// What `rx` receives, as a stream that ends when every sender has gone.
pub(crate) fn from_receiver<T>(rx: mpsc::Receiver<T>) -> impl Stream<Item = T> {
    futures::stream::unfold(rx, |mut rx| async move {
        let item = rx.recv().await?;
        Some((item, rx))
    })
}
