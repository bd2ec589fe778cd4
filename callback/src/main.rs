//! `callback`: the OAuth 2.0 token endpoint the ALB calls. All logic is in `gate::callback`.

use gate::callback::Callback;
use lambda_http::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    gate::telemetry::init();
    let callback = Callback::from_env()?;
    callback.warm_up().await;
    let callback = &callback;
    run(service_fn(move |request| async move {
        Ok::<_, Error>(callback.handle(request).await)
    }))
    .await
}
