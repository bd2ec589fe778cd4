//! Where secrets come from: SSM Parameter Store, behind a trait so tests use a map.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_ssm::error::{DisplayErrorContext, ProvideErrorMetadata};
use thiserror::Error;
use tokio::sync::OnceCell;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ParameterError {
    #[error("SSM parameter {name} does not exist")]
    NotFound { name: String },
    #[error("access to SSM parameter {name} (or its KMS key) is denied")]
    AccessDenied { name: String },
    #[error("SSM throttled the read of {name}")]
    Throttled { name: String },
    #[error("SSM parameter {name} is empty")]
    Empty { name: String },
    #[error("could not read SSM parameter {name}: {detail}")]
    Unavailable { name: String, detail: String },
}

pub trait ParameterStore: Send + Sync + 'static {
    /// The decrypted value of parameter `name`.
    fn get(&self, name: &str) -> impl Future<Output = Result<String, ParameterError>> + Send;
}

/// AWS SSM Parameter Store. The SDK client is built on first use, so a function that needs no
/// parameter never pays for it. Honours `AWS_ENDPOINT_URL` (a local emulator) like every SDK.
#[derive(Default)]
pub struct SsmStore {
    client: OnceCell<aws_sdk_ssm::Client>,
}

impl SsmStore {
    /// A store around a client configured elsewhere (tests point one at a local emulator).
    pub fn with_client(client: aws_sdk_ssm::Client) -> Self {
        Self {
            client: OnceCell::new_with(Some(client)),
        }
    }

    async fn client(&self) -> &aws_sdk_ssm::Client {
        self.client
            .get_or_init(|| async {
                // Bounded so a stuck SSM cannot eat the Lambda's whole timeout; the SDK's
                // standard retry (with backoff, for throttling too) runs inside this budget.
                let timeouts = aws_config::timeout::TimeoutConfig::builder()
                    .operation_timeout(Duration::from_secs(3))
                    .operation_attempt_timeout(Duration::from_millis(1500))
                    .build();
                let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
                    .timeout_config(timeouts)
                    .load()
                    .await;
                aws_sdk_ssm::Client::new(&config)
            })
            .await
    }
}

impl ParameterStore for SsmStore {
    async fn get(&self, name: &str) -> Result<String, ParameterError> {
        let result = self
            .client()
            .await
            .get_parameter()
            .name(name)
            .with_decryption(true)
            .send()
            .await;
        let output = result.map_err(|err| {
            let name = name.to_owned();
            let code = err.code().unwrap_or_default().to_owned();
            match code.as_str() {
                "ParameterNotFound" => ParameterError::NotFound { name },
                "AccessDeniedException" | "AccessDenied" | "KMSAccessDeniedException" => {
                    ParameterError::AccessDenied { name }
                }
                "ThrottlingException" | "TooManyUpdates" => ParameterError::Throttled { name },
                _ => ParameterError::Unavailable {
                    name,
                    detail: DisplayErrorContext(&err).to_string(),
                },
            }
        })?;
        output
            .parameter
            .and_then(|parameter| parameter.value)
            .filter(|value| !value.trim().is_empty())
            .ok_or_else(|| ParameterError::Empty {
                name: name.to_owned(),
            })
    }
}

/// An in-memory store for tests and fault injection: values or errors per name, with a count of
/// reads.
#[derive(Clone, Default)]
pub struct MemoryStore {
    entries: Arc<Mutex<HashMap<String, Result<String, ParameterError>>>>,
    reads: Arc<Mutex<usize>>,
}

impl MemoryStore {
    pub fn with(self, name: &str, value: &str) -> Self {
        self.set(name, Ok(value.to_owned()));
        self
    }

    pub fn set(&self, name: &str, entry: Result<String, ParameterError>) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_owned(), entry);
    }

    pub fn reads(&self) -> usize {
        *self.reads.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl ParameterStore for MemoryStore {
    async fn get(&self, name: &str) -> Result<String, ParameterError> {
        *self.reads.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        let entry = self
            .entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned();
        match entry {
            None => Err(ParameterError::NotFound {
                name: name.to_owned(),
            }),
            Some(Ok(value)) if value.trim().is_empty() => Err(ParameterError::Empty {
                name: name.to_owned(),
            }),
            Some(entry) => entry,
        }
    }
}
