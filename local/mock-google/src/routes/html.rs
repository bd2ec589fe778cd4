//! Small self-contained HTML pages: the account chooser and error pages.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::CHOOSE_PATH;
use crate::config::Account;

/// One account on the chooser.
pub(super) struct ChooserEntry<'a> {
    pub account: &'a Account,
    /// Not in the requested `hd` domain: shown greyed with a note, still selectable.
    pub other_domain: bool,
    /// Matches `login_hint`: highlighted and focused.
    pub hinted: bool,
}

pub(super) struct ChooserView<'a> {
    pub client_id: &'a str,
    pub hd: Option<&'a str>,
    /// The authorization request, carried to `/choose` in hidden fields.
    pub hidden: Vec<(&'static str, &'a str)>,
    pub entries: Vec<ChooserEntry<'a>>,
}

pub(super) fn chooser(view: &ChooserView<'_>) -> Response {
    let mut body = String::new();
    body.push_str("<h1>Choose an account</h1>\n");
    body.push_str(&format!(
        "<p class=\"sub\">to continue to <code>{}</code></p>\n",
        escape(view.client_id)
    ));
    if let Some(hd) = view.hd {
        body.push_str(&format!(
            "<p class=\"hint\">This app asks for a <b>{}</b> account.</p>\n",
            escape(hd)
        ));
    }
    body.push_str(&format!(
        "<form method=\"post\" action=\"{CHOOSE_PATH}\">\n"
    ));
    for (name, value) in &view.hidden {
        body.push_str(&format!(
            "<input type=\"hidden\" name=\"{name}\" value=\"{}\">\n",
            escape(value)
        ));
    }
    body.push_str("<ul>\n");
    for entry in &view.entries {
        body.push_str(&entry_html(entry, view.hd));
    }
    body.push_str("</ul>\n</form>\n");
    body.push_str(
        "<p class=\"foot\">Mock Google for tests and local demos. Not a real sign-in.</p>\n",
    );
    page(StatusCode::OK, "Sign in - Mock Google Accounts", &body)
}

fn entry_html(entry: &ChooserEntry<'_>, hd: Option<&str>) -> String {
    let account = entry.account;
    let mut classes = vec!["account"];
    if entry.other_domain {
        classes.push("other-domain");
    }
    if entry.hinted {
        classes.push("hinted");
    }
    let autofocus = if entry.hinted { " autofocus" } else { "" };
    let email = escape(&account.email);
    // The button's text is exactly the email, so browser tests can find it by name.
    let mut html = format!(
        "<li class=\"{}\"><button type=\"submit\" name=\"email\" value=\"{email}\"{autofocus}>{email}</button>\
         <span class=\"name\">{}</span>",
        classes.join(" "),
        escape(&account.name)
    );
    if let (true, Some(hd)) = (entry.other_domain, hd) {
        html.push_str(&format!(
            "<span class=\"note\">Not in {}: this app may not accept this account.</span>",
            escape(hd)
        ));
    }
    html.push_str("</li>\n");
    html
}

/// Google shows an error page (never a redirect) for a bad client or redirect URI.
pub(super) fn error_page(status: StatusCode, title: &str, detail: &str) -> Response {
    let body = format!(
        "<h1>{}</h1>\n<p class=\"error\">{}</p>\n",
        escape(title),
        escape(detail)
    );
    page(status, &format!("Error - {title}"), &body)
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head>\n<body><main>\n{body}</main></body></html>\n",
        escape(title)
    );
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // No form-action: Chrome applies it to the redirect after the POST, which leaves this origin.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    response
}

const STYLE: &str = "body{font-family:sans-serif;background:#f0f4f9;margin:0}\
main{max-width:28rem;margin:3rem auto;background:#fff;border-radius:1.5rem;padding:2rem}\
h1{font-weight:400;font-size:1.6rem;margin:0 0 .3rem}.sub,.foot{color:#555}.foot{font-size:.8rem}\
.hint{background:#e8f0fe;padding:.5rem;border-radius:.5rem}ul{list-style:none;padding:0}\
li{border-top:1px solid #ddd;padding:.6rem 0;display:flex;flex-direction:column}\
button{font-size:1rem;text-align:left;background:none;border:0;padding:.3rem 0;cursor:pointer;color:#1f1f1f}\
button:hover,button:focus{text-decoration:underline}.name{color:#555;font-size:.85rem}\
.other-domain{opacity:.5}.note{font-size:.8rem;color:#8a4b00}\
.hinted{background:#e8f0fe;border-radius:.5rem;padding-left:.5rem}.error{color:#b3261e}";

/// Escapes text for HTML element content and double-quoted attributes.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup_and_quotes() {
        assert_eq!(
            escape("\"><script>x&'"),
            "&quot;&gt;&lt;script&gt;x&amp;&#39;"
        );
    }
}
