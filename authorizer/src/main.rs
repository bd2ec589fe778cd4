//! `authorizer`: the OIDC userinfo endpoint the ALB calls, plus the ALB-target routes under
//! `/_auth/`. All logic is in `gate::authorizer`.

use gate::authorizer::Authorizer;
use lambda_http::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    gate::telemetry::init();
    let authorizer = Authorizer::from_env()?;
    authorizer.warm_up().await;
    let authorizer = &authorizer;
    run(service_fn(move |request| async move {
        Ok::<_, Error>(authorizer.handle(request).await)
    }))
    .await
}
