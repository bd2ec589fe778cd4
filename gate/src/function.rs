//! What both Lambdas share: settings read once, SSM, an HTTP client, a clock, and the
//! configuration plus Google's keys, loaded lazily and cached for the execution environment.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::{Clock, SystemClock};
use crate::config::{AuthorizerConfig, CallbackConfig, ConfigError};
use crate::http_client::{HttpClient, HttpError, ReqwestClient};
use crate::id_token::Expectations;
use crate::jwks::JwksCache;
use crate::loader::Loader;
use crate::parameters::{ParameterStore, SsmStore};
use crate::secret::ClientId;
use crate::settings::{GoogleEndpoints, Settings, SettingsError};

/// A function's configuration, loaded from settings and SSM.
pub trait FunctionConfig: Sized + Send + Sync + 'static {
    fn load<S: ParameterStore>(
        settings: &Settings,
        store: &S,
    ) -> impl Future<Output = Result<Self, ConfigError>> + Send;
    fn endpoints(&self) -> &GoogleEndpoints;
    fn client_id(&self) -> &ClientId;
}

impl FunctionConfig for CallbackConfig {
    async fn load<S: ParameterStore>(settings: &Settings, store: &S) -> Result<Self, ConfigError> {
        CallbackConfig::load(settings, store).await
    }
    fn endpoints(&self) -> &GoogleEndpoints {
        &self.endpoints
    }
    fn client_id(&self) -> &ClientId {
        &self.google.client_id
    }
}

impl FunctionConfig for AuthorizerConfig {
    async fn load<S: ParameterStore>(settings: &Settings, store: &S) -> Result<Self, ConfigError> {
        AuthorizerConfig::load(settings, store).await
    }
    fn endpoints(&self) -> &GoogleEndpoints {
        &self.endpoints
    }
    fn client_id(&self) -> &ClientId {
        &self.client_id
    }
}

/// Configuration that loaded, with the key cache and token expectations built from it.
pub struct Ready<Cfg, H: HttpClient, C: Clock> {
    pub config: Cfg,
    pub keys: Arc<JwksCache<H, C>>,
    pub expected: Expectations,
}

/// Budget for each call to Google (token endpoint, JWKS); the ALB gives up after ~5 s.
pub const GOOGLE_TIMEOUT: Duration = Duration::from_secs(4);

/// What the environment alone determines: the settings, and the key cache built from them so
/// the JWKS can be fetched while SSM is being read.
pub struct Setup<H: HttpClient, C: Clock> {
    pub settings: Settings,
    keys: Arc<JwksCache<H, C>>,
}

pub struct Function<Cfg, S, H: HttpClient, C: Clock> {
    pub setup: Result<Setup<H, C>, SettingsError>,
    store: S,
    pub http: H,
    pub clock: C,
    ready: Loader<Ready<Cfg, H, C>>,
}

impl<Cfg: FunctionConfig> Function<Cfg, SsmStore, ReqwestClient, SystemClock> {
    /// Production wiring: env settings, SSM, reqwest, the system clock.
    pub fn from_env() -> Result<Self, HttpError> {
        Ok(Self::new(
            Settings::from_env(),
            SsmStore::default(),
            ReqwestClient::new(GOOGLE_TIMEOUT)?,
            SystemClock,
        ))
    }
}

impl<Cfg: FunctionConfig, S: ParameterStore, H: HttpClient + Clone, C: Clock + Clone>
    Function<Cfg, S, H, C>
{
    pub fn new(settings: Result<Settings, SettingsError>, store: S, http: H, clock: C) -> Self {
        let setup = settings.map(|settings| Setup {
            keys: Arc::new(JwksCache::new(
                &settings.google.jwks_url,
                http.clone(),
                clock.clone(),
            )),
            settings,
        });
        Self {
            setup,
            store,
            http,
            clock,
            ready: Loader::default(),
        }
    }

    /// Loads configuration and Google's keys ahead of the first request (Lambda init has a
    /// full CPU). Failures are logged and retried on demand.
    pub async fn warm_up(&self) {
        let prefetch = async {
            if let Ok(setup) = &self.setup
                && let Err(err) = setup.keys.prefetch().await
            {
                tracing::warn!(error = %err, "could not prefetch Google signing keys");
            }
        };
        // Google's keys and SSM in parallel: the two network waits of a cold start overlap.
        let _ = tokio::join!(self.ready(), prefetch);
    }

    pub async fn ready(&self) -> Result<Arc<Ready<Cfg, H, C>>, ConfigError> {
        self.ready
            .get(|| async {
                let setup = self.setup.as_ref().map_err(Clone::clone)?;
                let config = Cfg::load(&setup.settings, &self.store).await?;
                let keys = setup.keys.clone();
                let expected =
                    Expectations::new(&config.endpoints().issuer, config.client_id().clone());
                Ok(Ready {
                    config,
                    keys,
                    expected,
                })
            })
            .await
    }
}
