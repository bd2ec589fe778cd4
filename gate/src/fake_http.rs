//! An in-memory `HttpClient` for unit tests: canned answers per URL, with call counts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::http_client::{HttpClient, HttpError, HttpResponse};

#[derive(Clone, Default)]
pub struct FakeHttp {
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    answers: HashMap<String, Result<HttpResponse, HttpError>>,
    calls: HashMap<String, usize>,
    last_form: Option<Vec<(String, String)>>,
}

impl FakeHttp {
    pub fn answer(
        &self,
        url: &str,
        status: u16,
        body: impl Into<Vec<u8>>,
        cache_control: Option<&str>,
    ) {
        self.set(
            url,
            Ok(HttpResponse {
                status,
                cache_control: cache_control.map(str::to_owned),
                body: body.into(),
            }),
        );
    }

    pub fn fail(&self, url: &str, error: HttpError) {
        self.set(url, Err(error));
    }

    pub fn calls(&self, url: &str) -> usize {
        self.lock().calls.get(url).copied().unwrap_or(0)
    }

    pub fn last_form(&self) -> Option<Vec<(String, String)>> {
        self.lock().last_form.clone()
    }

    fn set(&self, url: &str, answer: Result<HttpResponse, HttpError>) {
        self.lock().answers.insert(url.to_owned(), answer);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn call(&self, url: &str) -> Result<HttpResponse, HttpError> {
        let mut state = self.lock();
        *state.calls.entry(url.to_owned()).or_default() += 1;
        state
            .answers
            .get(url)
            .cloned()
            .unwrap_or_else(|| Err(HttpError::Connect(format!("no fake answer for {url}"))))
    }
}

impl HttpClient for FakeHttp {
    async fn get(&self, url: &str) -> Result<HttpResponse, HttpError> {
        self.call(url)
    }

    async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> Result<HttpResponse, HttpError> {
        self.lock().last_form = Some(
            form.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        );
        self.call(url)
    }
}
