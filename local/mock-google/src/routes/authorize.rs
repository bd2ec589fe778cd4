//! The browser side: `GET /o/oauth2/v2/auth` (account chooser) and `POST .../choose`.

use axum::extract::RawQuery;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use url::Url;

use super::State;
use super::faults::intercept;
use super::html::{self, ChooserEntry, ChooserView};
use super::params::Params;
use crate::claims::has_scope;
use crate::config::{Account, MockConfig};
use crate::faults::Endpoint;
use crate::state::Shared;

/// An authorization request whose client and redirect URI have been checked.
struct AuthRequest<'p> {
    client_id: &'p str,
    redirect_uri: &'p str,
    response_type: &'p str,
    scope: &'p str,
    state: Option<&'p str>,
    nonce: Option<&'p str>,
    prompt: Prompt,
    prompt_raw: Option<&'p str>,
    hd: Option<&'p str>,
    login_hint: Option<&'p str>,
}

/// Why an authorization request fails, decided before any response is built.
enum Rejection<'p> {
    /// Untrusted client or redirect URI: an error page, never a redirect.
    Page { title: String, detail: String },
    /// The redirect URI is trusted: the error goes back to the client.
    Redirect {
        redirect_uri: &'p str,
        state: Option<&'p str>,
        error: &'static str,
    },
}

impl Rejection<'_> {
    fn into_response(self) -> Response {
        match self {
            Rejection::Page { title, detail } => error_page(&title, &detail),
            Rejection::Redirect {
                redirect_uri,
                state,
                error,
            } => error_redirect(redirect_uri, state, error),
        }
    }
}

#[derive(Default)]
struct Prompt {
    none: bool,
    consent: bool,
}

pub(super) async fn chooser(
    axum::extract::State(shared): State,
    RawQuery(query): RawQuery,
) -> Response {
    if let Some(fault) = intercept(&shared, Endpoint::Authorize).await {
        return fault;
    }
    let params = match Params::parse(query.unwrap_or_default().as_bytes()) {
        Ok(params) => params,
        Err(err) => return bad_request_page("invalid_request", &err.to_string()),
    };
    let request = match check(&shared.config, &params) {
        Ok(request) => request,
        Err(rejection) => return rejection.into_response(),
    };
    if request.prompt.none {
        // No UI allowed: succeed only when the hint names a known account (a "signed-in" user).
        return match request.login_hint.and_then(|h| shared.config.account(h)) {
            Some(account) => grant(&shared, &request, account),
            None => error_redirect(request.redirect_uri, request.state, "interaction_required"),
        };
    }
    html::chooser(&chooser_view(&shared.config, &request))
}

pub(super) async fn choose(axum::extract::State(shared): State, body: Bytes) -> Response {
    if let Some(fault) = intercept(&shared, Endpoint::Choose).await {
        return fault;
    }
    let params = match Params::parse(&body) {
        Ok(params) => params,
        Err(err) => return bad_request_page("invalid_request", &err.to_string()),
    };
    // Hidden fields come back from the browser: check them again like a fresh request.
    let request = match check(&shared.config, &params) {
        Ok(request) => request,
        Err(rejection) => return rejection.into_response(),
    };
    let Some(email) = params.get("email") else {
        return bad_request_page("invalid_request", "Missing required parameter: email");
    };
    match shared.config.account(email) {
        Some(account) => grant(&shared, &request, account),
        None => bad_request_page("unknown_account", &format!("No test account {email}.")),
    }
}

/// Validates like Google: client and redirect URI failures show an error page (never a
/// redirect to an unchecked URI); later failures go back to the client as `?error=`.
fn check<'p>(config: &MockConfig, params: &'p Params) -> Result<AuthRequest<'p>, Rejection<'p>> {
    let page = |title: &str, detail: &str| Rejection::Page {
        title: title.to_owned(),
        detail: detail.to_owned(),
    };
    let Some(client_id) = params.get("client_id") else {
        return Err(page(
            "Error 400: invalid_request",
            "Missing required parameter: client_id",
        ));
    };
    if client_id != config.client_id {
        return Err(page(
            "Error 401: invalid_client",
            "The OAuth client was not found.",
        ));
    }
    let Some(redirect_uri) = params.get("redirect_uri") else {
        return Err(page(
            "Error 400: invalid_request",
            "Missing required parameter: redirect_uri",
        ));
    };
    if !config.redirect_uri_allowed(redirect_uri) {
        return Err(page(
            "Error 400: redirect_uri_mismatch",
            &format!("The redirect URI {redirect_uri} is not registered for this client."),
        ));
    }
    let state = params.get("state");
    let back = |error| Rejection::Redirect {
        redirect_uri,
        state,
        error,
    };
    let response_type = params.get("response_type").unwrap_or_default();
    if response_type != "code" {
        return Err(back("unsupported_response_type"));
    }
    let scope = params.get("scope").unwrap_or_default();
    if !has_scope(scope, "openid") {
        return Err(back("invalid_scope"));
    }
    let prompt_raw = params.get("prompt");
    let prompt = parse_prompt(prompt_raw).ok_or_else(|| back("invalid_request"))?;
    Ok(AuthRequest {
        client_id,
        redirect_uri,
        response_type,
        scope,
        state,
        nonce: params.get("nonce"),
        prompt,
        prompt_raw,
        hd: params.get("hd"),
        login_hint: params.get("login_hint"),
    })
}

/// `None` for an unknown value, or `none` combined with anything else.
fn parse_prompt(raw: Option<&str>) -> Option<Prompt> {
    let mut prompt = Prompt::default();
    let mut count = 0;
    for value in raw.unwrap_or_default().split_ascii_whitespace() {
        count += 1;
        match value {
            "none" => prompt.none = true,
            "consent" => prompt.consent = true,
            "select_account" => {}
            _ => return None,
        }
    }
    (!prompt.none || count == 1).then_some(prompt)
}

fn chooser_view<'a>(config: &'a MockConfig, request: &'a AuthRequest<'a>) -> ChooserView<'a> {
    let in_domain = |a: &Account| match (request.hd, &a.hd) {
        (Some(wanted), Some(hd)) => hd.eq_ignore_ascii_case(wanted),
        (Some(_), None) => false,
        (None, _) => true,
    };
    let mut entries: Vec<ChooserEntry<'a>> = config
        .accounts
        .iter()
        .map(|account| ChooserEntry {
            account,
            other_domain: !in_domain(account),
            hinted: request
                .login_hint
                .is_some_and(|h| h.eq_ignore_ascii_case(&account.email)),
        })
        .collect();
    // Stable sort: accounts of the requested domain first, config order otherwise.
    entries.sort_by_key(|e| e.other_domain);
    let optional = [
        ("state", request.state),
        ("nonce", request.nonce),
        ("prompt", request.prompt_raw),
        ("hd", request.hd),
        ("login_hint", request.login_hint),
    ];
    let mut hidden = vec![
        ("client_id", request.client_id),
        ("redirect_uri", request.redirect_uri),
        ("response_type", request.response_type),
        ("scope", request.scope),
    ];
    hidden.extend(optional.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))));
    ChooserView {
        client_id: request.client_id,
        hd: request.hd,
        hidden,
        entries,
    }
}

/// The user picked `account`: a fresh code goes back to the client, with what Google adds.
fn grant(shared: &Shared, request: &AuthRequest<'_>, account: &Account) -> Response {
    let code = match shared.issue_code(
        &account.email,
        request.redirect_uri,
        request.nonce,
        request.scope,
    ) {
        Ok(code) => code,
        Err(err) => return bad_request_page("invalid_request", &err.to_string()),
    };
    let authuser = shared
        .config
        .accounts
        .iter()
        .position(|a| a.email == account.email)
        .unwrap_or_default()
        .to_string();
    let prompt = if request.prompt.consent {
        "consent"
    } else {
        "none"
    };
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    if let Some(state) = request.state {
        pairs.push(("state", state));
    }
    pairs.extend([
        ("code", code.as_str()),
        ("scope", request.scope),
        ("authuser", authuser.as_str()),
    ]);
    if let Some(hd) = &account.hd {
        pairs.push(("hd", hd));
    }
    pairs.push(("prompt", prompt));
    redirect_with(request.redirect_uri, &pairs)
}

fn error_redirect(redirect_uri: &str, state: Option<&str>, error: &str) -> Response {
    let mut pairs = vec![("error", error)];
    if let Some(state) = state {
        pairs.push(("state", state));
    }
    redirect_with(redirect_uri, &pairs)
}

/// `302` to `uri` with `pairs` appended to its query, form-urlencoded.
fn redirect_with(uri: &str, pairs: &[(&str, &str)]) -> Response {
    let Ok(mut url) = Url::parse(uri) else {
        return bad_request_page("invalid_request", "redirect_uri is not a URL");
    };
    url.query_pairs_mut().extend_pairs(pairs);
    let Ok(location) = HeaderValue::from_str(url.as_str()) else {
        return bad_request_page(
            "invalid_request",
            "redirect_uri is not a valid header value",
        );
    };
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    headers.insert(header::LOCATION, location);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn bad_request_page(error: &str, detail: &str) -> Response {
    error_page(&format!("Error 400: {error}"), detail)
}

fn error_page(title: &str, detail: &str) -> Response {
    html::error_page(StatusCode::BAD_REQUEST, title, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_none_must_stand_alone() {
        assert!(parse_prompt(Some("none")).is_some_and(|p| p.none));
        assert!(parse_prompt(Some("none consent")).is_none());
        assert!(parse_prompt(Some("select_account consent")).is_some_and(|p| p.consent));
        assert!(parse_prompt(Some("login")).is_none());
        assert!(parse_prompt(None).is_some_and(|p| !p.none));
    }
}
