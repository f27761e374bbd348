//! The spawn page's options form (JupyterHub's `SpawnHandler` with an `options_form`): the page
//! with the deployer's snippet and the profiles, and its POST turned into `user_options`.

use std::collections::HashMap;

use axum::response::Response;
use ganymede_core::{CoreError, SpawnSettings, chosen_profile, default_profile, options_from_form};
use http::StatusCode;
use minijinja::context;
use serde_json::{Value, json};

use super::super::{Site, Visit, redirect};
use super::{core_error, enc, pending_location, spawn_url_of};

/// What the form page shows besides the common context.
pub(super) struct FormPage<'a> {
    pub(super) user: &'a str,
    pub(super) server: &'a str,
    pub(super) next: Option<String>,
    /// The message of the start that failed, shown above the form.
    pub(super) error: Option<String>,
    /// The profile to preselect: the one just posted, else the default.
    pub(super) selected: Option<String>,
}

/// Renders `spawn.html` asking for options (`ask`), or the self-submitting start form.
pub(super) fn render(
    site: &Site,
    visit: &mut Visit,
    status: StatusCode,
    page: FormPage<'_>,
    settings: Option<&SpawnSettings>,
) -> Response {
    let spawn_url = spawn_url_of(site, page.user, page.server);
    let action_url = match &page.next {
        Some(next) => format!("{spawn_url}?next={}", enc(next)),
        None => spawn_url.clone(),
    };
    let ask = settings.is_some_and(SpawnSettings::has_options);
    let (profiles, options_form) = match settings.filter(|_| ask) {
        Some(settings) => {
            let preselected = page
                .selected
                .as_deref()
                .filter(|slug| settings.profiles.iter().any(|p| p.slug == *slug))
                .or_else(|| default_profile(&settings.profiles).map(|p| p.slug.as_str()));
            let profiles: Vec<Value> = settings
                .profiles
                .iter()
                .map(|p| {
                    let name = if p.display_name.is_empty() {
                        &p.slug
                    } else {
                        &p.display_name
                    };
                    json!({
                        "slug": p.slug,
                        "display_name": name,
                        "description": p.description,
                        "checked": preselected == Some(p.slug.as_str()),
                    })
                })
                .collect();
            (profiles, settings.options_form.clone().unwrap_or_default())
        }
        None => (Vec::new(), String::new()),
    };
    // JupyterHub's templates post to `url`, which carries the token in the query; ours post
    // `action_url` with the token as a hidden field, and both are accepted.
    let xsrf = visit
        .cookies
        .ensure_xsrf(&site.hub, &mut visit.session, &site.base_url);
    let sep = if action_url.contains('?') { '&' } else { '?' };
    let extra = context! {
        for_user => page.user,
        server_name => page.server,
        spawn_url => spawn_url,
        action_url => action_url.clone(),
        url => format!("{action_url}{sep}_xsrf={}", enc(&xsrf)),
        next => page.next,
        ask => ask,
        profiles => minijinja::Value::from(minijinja::value::Serde(profiles)),
        spawner_options_form => options_form,
        error_message => page.error,
    };
    site.page(visit, status, "spawn.html", extra)
}

/// The options of a posted form, as JSON for the start request.
pub(super) fn start_body(settings: &SpawnSettings, fields: &[(String, String)]) -> String {
    let options = options_from_form(fields, !settings.profiles.is_empty());
    json!({ "user_options": options }).to_string()
}

/// `POST /hub/spawn...` with options: starts the server with the form's `user_options`, then
/// goes to the progress page; a failed start shows the form again with the error and the
/// error's status, as JupyterHub does.
pub(super) async fn submit(
    site: &Site,
    visit: &mut Visit,
    (user, server): (&str, &str),
    settings: &SpawnSettings,
    fields: &[(String, String)],
    next: Option<String>,
) -> Response {
    let Some(identity) = visit.identity().cloned() else {
        return super::to_login(site, visit);
    };
    let options = options_from_form(fields, !settings.profiles.is_empty());
    let selected = options
        .get(ganymede_core::PROFILE_KEY)
        .and_then(Value::as_str)
        .map(str::to_owned);
    let form_error = |visit: &mut Visit, error: &CoreError| {
        let status =
            StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let page = FormPage {
            user,
            server,
            next: next.clone(),
            error: Some(error.to_string()),
            selected: selected.clone(),
        };
        render(site, visit, status, page, Some(settings))
    };
    // Checked here too so that the page names the choices even when the start itself would
    // fail first for another reason.
    if let Err(error) = chosen_profile(&settings.profiles, &options) {
        return form_error(visit, &CoreError::BadRequest(error.to_string()));
    }
    let body = start_body(settings, fields);
    let wait = Some(std::time::Duration::from_secs(1));
    match site
        .hub
        .start_server_waiting(&identity, user, server, &body, wait)
        .await
    {
        Ok(_) => {}
        Err(CoreError::BadRequest(message)) if message.ends_with("is already running") => {}
        // Not allowed to start it, or no such user: the error page, not a form to retry.
        Err(
            error @ (CoreError::Denied(_) | CoreError::NotFound(_) | CoreError::Unauthenticated),
        ) => {
            return core_error(site, visit, &error);
        }
        Err(error) => return form_error(visit, &error),
    }
    redirect(
        visit,
        &pending_location(site, user, server, next.as_deref()),
    )
}

/// The fields of a posted form, in order and with repeats (`axum::Form` keeps one value).
pub(super) fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The first value of `key`.
pub(super) fn field<'a>(fields: &'a [(String, String)], key: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// The XSRF token of a post: the form field, else `?_xsrf=` (JupyterHub's templates).
pub(super) fn posted_xsrf<'a>(
    fields: &'a [(String, String)],
    query: &'a HashMap<String, String>,
) -> Option<&'a str> {
    field(fields, "_xsrf").or_else(|| query.get("_xsrf").map(String::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posted_fields_keep_order_and_repeats() {
        let fields = form_fields(b"_xsrf=t&letter=A&letter=B&note=a+b%26c&profile=gpu");
        assert_eq!(field(&fields, "letter"), Some("A"));
        let settings = SpawnSettings {
            profiles: vec![ganymede_core::SpawnProfile {
                slug: "gpu".to_owned(),
                ..Default::default()
            }],
            ..SpawnSettings::default()
        };
        let body: Value = serde_json::from_str(&start_body(&settings, &fields)).unwrap();
        assert_eq!(
            body,
            json!({"user_options": {"letter": ["A", "B"], "note": ["a b&c"], "profile": "gpu"}})
        );
        let query = HashMap::from([("_xsrf".to_owned(), "q".to_owned())]);
        assert_eq!(posted_xsrf(&fields, &query), Some("t"));
        assert_eq!(posted_xsrf(&[], &query), Some("q"));
    }
}
