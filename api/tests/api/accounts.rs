//! Accounts: passwords, web sessions with CSRF, login rate limits, tokens.

use reqwest::Method;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{TestApp, assert_error};
use darkroom_storage::catalog::Scope;

backend_tests!(
    a_session_signs_in_needs_csrf_and_signs_out,
    logins_are_rate_limited_per_account,
    password_changes_are_rate_limited_like_sign_in,
    tokens_are_listed_scoped_and_revoked,
    tokens_per_account_are_capped,
    disabled_accounts_lose_every_credential,
);

/// Creates `name` with `password` through the admin API.
async fn user_with_password(app: &TestApp, name: &str, password: &str) -> Value {
    app.call_expect(
        Method::POST,
        &app.token,
        "/api/v1/admin/users",
        Some(json!({"name": name, "password": password})),
        201,
    )
    .await
}

/// A client that keeps cookies, as a browser does.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap()
}

async fn login(
    app: &TestApp,
    client: &reqwest::Client,
    name: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": name, "password": password}))
        .send()
        .await
        .unwrap()
}

/// A browser signed in as a new user whose password is
/// `correct horse battery`, with the session's CSRF token.
struct SignedIn {
    web: reqwest::Client,
    csrf: String,
}

async fn signed_in(app: &TestApp, name: &str) -> SignedIn {
    user_with_password(app, name, "correct horse battery").await;
    let web = browser();
    let body: Value = login(app, &web, name, "correct horse battery")
        .await
        .json()
        .await
        .unwrap();
    let csrf = body["csrf_token"].as_str().unwrap().to_string();
    SignedIn { web, csrf }
}

impl SignedIn {
    /// `PUT /me/password` from `current` to `a new long passphrase`.
    async fn change_password(
        &self,
        app: &TestApp,
        current: &str,
    ) -> reqwest::Result<reqwest::Response> {
        self.web
            .put(app.url("/api/v1/me/password"))
            .header("x-csrf-token", &self.csrf)
            .json(&json!({"current_password": current, "new_password": "a new long passphrase"}))
            .send()
            .await
    }
}

async fn a_session_signs_in_needs_csrf_and_signs_out(app: TestApp) {
    user_with_password(&app, "alice", "correct horse battery").await;
    let web = browser();
    let wrong = login(&app, &web, "alice", "wrong password").await;
    assert_error(wrong, 401, "invalid_credentials").await;
    let nobody = login(&app, &web, "nobody", "whatever password").await;
    assert_error(nobody, 401, "invalid_credentials").await;

    let ok = login(&app, &web, "alice", "correct horse battery").await;
    assert_eq!(ok.status(), 200);
    let cookie = ok.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("drk_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain HTTP here: {cookie}");
    let body: Value = ok.json().await.unwrap();
    let csrf = body["csrf_token"].as_str().unwrap().to_string();
    assert_eq!(body["user"]["name"], "alice");

    // Reads work with the cookie alone.
    let me = web.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(me.status(), 200);
    // Writes need the CSRF token too.
    let create = |token: Option<String>| {
        let mut r = web
            .post(app.url("/api/v1/albums"))
            .json(&json!({"name": "from the web"}));
        if let Some(t) = token {
            r = r.header("x-csrf-token", t);
        }
        r.send()
    };
    assert_error(create(None).await.unwrap(), 403, "csrf_failed").await;
    assert_error(
        create(Some("forged".into())).await.unwrap(),
        403,
        "csrf_failed",
    )
    .await;
    assert_eq!(create(Some(csrf.clone())).await.unwrap().status(), 201);
    // The session endpoint gives the CSRF token back (after a reload).
    let session: Value = web
        .get(app.url("/api/v1/auth/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(session["csrf_token"], json!(csrf));

    // A second browser; "sign out other sessions" ends it, not this one.
    let other = browser();
    assert_eq!(
        login(&app, &other, "alice", "correct horse battery")
            .await
            .status(),
        200
    );
    let out = web
        .post(app.url("/api/v1/auth/logout-others"))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    let ended: Value = out.json().await.unwrap();
    assert_eq!(ended["sessions_ended"], 1);
    let r = other.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_error(r, 401, "unauthorized").await;
    assert_eq!(
        web.get(app.url("/api/v1/me"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // Again a second browser; "log out everywhere" ends both.
    let other = browser();
    assert_eq!(
        login(&app, &other, "alice", "correct horse battery")
            .await
            .status(),
        200
    );
    let out = web
        .post(app.url("/api/v1/auth/logout-all"))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 200);
    let after: Value = out.json().await.unwrap();
    assert_eq!(after["sessions_ended"], 2);
    for client in [&web, &other] {
        let r = client.get(app.url("/api/v1/me")).send().await.unwrap();
        assert_error(r, 401, "unauthorized").await;
    }

    // Logout ends just that session.
    let web = browser();
    let body: Value = login(&app, &web, "alice", "correct horse battery")
        .await
        .json()
        .await
        .unwrap();
    let csrf = body["csrf_token"].as_str().unwrap().to_string();
    let out = web
        .post(app.url("/api/v1/auth/logout"))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    assert!(
        out.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let r = web.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_error(r, 401, "unauthorized").await;

    // Changing the password needs the current one, from a session. (Another
    // account: alice has used her five login attempts for this minute.)
    let session = signed_in(&app, "alicia").await;
    let change = |current: &'static str| session.change_password(&app, current);
    assert_error(change("not it").await.unwrap(), 401, "invalid_credentials").await;
    assert_eq!(change("correct horse battery").await.unwrap().status(), 204);
    assert_eq!(
        login(&app, &browser(), "alicia", "a new long passphrase")
            .await
            .status(),
        200
    );
    app.call_error(
        Method::POST,
        Some(&app.token),
        "/api/v1/admin/users",
        Some(json!({"name": "bob", "password": "short"})),
        422,
        "weak_password",
    )
    .await;
    // A token cannot change a password.
    app.call_error(
        Method::PUT,
        Some(&app.token),
        "/api/v1/me/password",
        Some(json!({"new_password": "another long one"})),
        403,
        "session_required",
    )
    .await;
}

/// Changing the password checks the current one: whoever holds a stolen
/// session must not guess it faster than at sign-in.
async fn password_changes_are_rate_limited_like_sign_in(app: TestApp) {
    let session = signed_in(&app, "gus").await;
    let change = |current: &'static str| session.change_password(&app, current);
    // The sign-in was one attempt of the five a minute.
    for guess in ["guess 1", "guess 2", "guess 3", "guess 4"] {
        assert_error(change(guess).await.unwrap(), 401, "invalid_credentials").await;
    }
    let limited = change("correct horse battery").await.unwrap();
    assert_error(limited, 429, "too_many_requests").await;
}

async fn logins_are_rate_limited_per_account(app: TestApp) {
    user_with_password(&app, "carol", "correct horse battery").await;
    let client = browser();
    for _ in 0..5 {
        let r = login(&app, &client, "carol", "guess").await;
        assert_eq!(r.status(), 401);
    }
    // Even the right password waits now: the limit is on attempts.
    let limited = login(&app, &client, "carol", "correct horse battery").await;
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_error(limited, 429, "too_many_requests").await;
    // Other accounts are not affected.
    user_with_password(&app, "dave", "correct horse battery").await;
    assert_eq!(
        login(&app, &client, "dave", "correct horse battery")
            .await
            .status(),
        200
    );
}

async fn tokens_are_listed_scoped_and_revoked(app: TestApp) {
    // A read- or upload-only token (a leaked camera app's, say) can neither
    // list nor mint tokens: it could otherwise make a sibling that outlives
    // its own revocation. It can give itself up.
    let uploader = app.user_token("erin", &[Scope::Read, Scope::Upload]).await;
    app.call_error(
        Method::POST,
        Some(&uploader),
        "/api/v1/tokens",
        Some(json!({"name": "sibling", "scopes": ["upload"]})),
        403,
        "forbidden",
    )
    .await;
    app.call_error(
        Method::GET,
        Some(&uploader),
        "/api/v1/tokens",
        None,
        403,
        "forbidden",
    )
    .await;

    let manager = app
        .user_token("frida", &[Scope::Read, Scope::Upload, Scope::Edit])
        .await;
    let created = app
        .call_expect(
            Method::POST,
            &manager,
            "/api/v1/tokens",
            Some(json!({"name": "phone", "scopes": ["read"]})),
            201,
        )
        .await;
    let secret = created["token"].as_str().unwrap().to_string();
    assert!(secret.starts_with("drk_"));
    // No one mints a scope they lack.
    app.call_error(
        Method::POST,
        Some(&manager),
        "/api/v1/tokens",
        Some(json!({"name": "x", "scopes": ["admin"]})),
        403,
        "forbidden",
    )
    .await;
    app.call_error(
        Method::POST,
        Some(&manager),
        "/api/v1/tokens",
        Some(json!({"name": "x", "scopes": ["root"]})),
        422,
        "invalid_field",
    )
    .await;
    // Listed without secrets, with a last-used time once used.
    app.call_expect(Method::GET, &secret, "/api/v1/assets", None, 200)
        .await;
    let listed = app
        .call_expect(Method::GET, &manager, "/api/v1/tokens", None, 200)
        .await;
    let tokens = listed["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 2);
    assert!(
        !listed.to_string().contains(&secret),
        "secrets are never listed"
    );
    let phone = tokens.iter().find(|t| t["name"] == "phone").unwrap();
    assert!(phone["last_used_at"].is_string());
    assert_eq!(phone["scopes"], json!(["read"]));
    // Revoked: it stops working at once. Another user cannot revoke it.
    let id = created["id"].as_str().unwrap();
    let stranger = app.user_token("mallory", &[Scope::Read, Scope::Edit]).await;
    app.call_expect(
        Method::DELETE,
        &stranger,
        &format!("/api/v1/tokens/{id}"),
        None,
        404,
    )
    .await;
    app.call_expect(
        Method::DELETE,
        &manager,
        &format!("/api/v1/tokens/{id}"),
        None,
        204,
    )
    .await;
    app.call_error(
        Method::GET,
        Some(&secret),
        "/api/v1/assets",
        None,
        401,
        "unauthorized",
    )
    .await;

    // The upload-only token revokes itself (its id, from the account's
    // list), and is gone.
    let erin = app
        .catalog
        .find_user_by_name("erin")
        .await
        .unwrap()
        .unwrap();
    let own_id = app.catalog.list_tokens(&erin.id).await.unwrap()[0].id;
    app.call_expect(
        Method::DELETE,
        &uploader,
        &format!("/api/v1/tokens/{own_id}"),
        None,
        204,
    )
    .await;
    app.call_error(
        Method::GET,
        Some(&uploader),
        "/api/v1/assets",
        None,
        401,
        "unauthorized",
    )
    .await;
}

async fn tokens_per_account_are_capped(app: TestApp) {
    let manager = app.user_token("ivo", &[Scope::Read, Scope::Edit]).await;
    let ivo = app.catalog.find_user_by_name("ivo").await.unwrap().unwrap();
    // Up to a hundred, the manager's own included.
    for n in 1..99 {
        app.catalog
            .issue_token(&ivo.id, &format!("device {n}"), &[Scope::Read])
            .await
            .unwrap();
    }
    let mint = |name: &str| json!({"name": name, "scopes": ["read"]});
    app.call_expect(
        Method::POST,
        &manager,
        "/api/v1/tokens",
        Some(mint("the hundredth")),
        201,
    )
    .await;
    let refused = app
        .call_error(
            Method::POST,
            Some(&manager),
            "/api/v1/tokens",
            Some(mint("one too many")),
            409,
            "too_many_tokens",
        )
        .await;
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("revoke one"),
        "{refused}"
    );
}

async fn disabled_accounts_lose_every_credential(app: TestApp) {
    let user = user_with_password(&app, "frank", "correct horse battery").await;
    let id = user["id"].as_str().unwrap();
    let frank = app
        .catalog
        .find_user_by_name("frank")
        .await
        .unwrap()
        .unwrap();
    let token = app
        .catalog
        .issue_token(&frank.id, "t", &[Scope::Read])
        .await
        .unwrap()
        .secret;
    let web = browser();
    assert_eq!(
        login(&app, &web, "frank", "correct horse battery")
            .await
            .status(),
        200
    );
    app.call_expect(
        Method::PATCH,
        &app.token,
        &format!("/api/v1/admin/users/{id}"),
        Some(json!({"disabled": true})),
        200,
    )
    .await;
    app.call_error(
        Method::GET,
        Some(&token),
        "/api/v1/assets",
        None,
        401,
        "unauthorized",
    )
    .await;
    let r = web.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_error(r, 401, "unauthorized").await;
    let r = login(&app, &web, "frank", "correct horse battery").await;
    assert_error(r, 403, "account_disabled").await;
    // An admin cannot lock themselves out.
    let admin = app
        .catalog
        .find_user_by_name("admin")
        .await
        .unwrap()
        .unwrap();
    app.call_error(
        Method::PATCH,
        Some(&app.token),
        &format!("/api/v1/admin/users/{}", admin.id),
        Some(json!({"disabled": true})),
        409,
        "cannot_disable_self",
    )
    .await;
    // Re-enabled, the token works again.
    app.call_expect(
        Method::PATCH,
        &app.token,
        &format!("/api/v1/admin/users/{id}"),
        Some(json!({"disabled": false})),
        200,
    )
    .await;
    app.call_expect(Method::GET, &token, "/api/v1/assets", None, 200)
        .await;
}

/// Request limits are per account: one token past its burst waits (429
/// with Retry-After), and so does a second token of the same user (minting
/// tokens buys no more requests); another user does not. In-memory state, so
/// the embedded backend tells all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_limit_is_per_account() {
    let app = crate::helpers::spawn_app_with(crate::helpers::Backend::SqliteLocal, |config| {
        config.request_limits = Some(darkroom_api::RequestLimits {
            per_minute: 60,
            burst: 5,
        });
    })
    .await
    .expect("the embedded backend always works");
    let reader = app.user_token("kim", &[Scope::Read]).await;
    let kim = app.catalog.find_user_by_name("kim").await.unwrap().unwrap();
    let second = app
        .catalog
        .issue_token(&kim.id, "second", &[Scope::Read])
        .await
        .unwrap()
        .secret;
    for _ in 0..5 {
        assert_eq!(app.get_as(&reader, "/api/v1/assets").await.status(), 200);
    }
    let limited = app.get_as(&reader, "/api/v1/assets").await;
    let wait: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    assert_error(limited, 429, "too_many_requests").await;
    assert_eq!(app.get_as(&second, "/api/v1/assets").await.status(), 429);
    let other = app.user_token("lou", &[Scope::Read]).await;
    assert_eq!(app.get_as(&other, "/api/v1/assets").await.status(), 200);
    // The wait is honest: after it, the token works again.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(app.get_as(&reader, "/api/v1/assets").await.status(), 200);
}

/// Sign-in attempts from one client address spend that address's attempts at
/// an account, not the owner's; behind trusted proxies the client is the one
/// they forward, and nobody else can choose the address they are counted by.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_cannot_lock_an_account_out_and_forwarded_addresses_need_trust() {
    let login_from = |app: &TestApp, forwarded: &'static str, password: &'static str| {
        app.client
            .post(app.url("/api/v1/auth/login"))
            .header("X-Forwarded-For", forwarded)
            .json(&json!({"username": "gail", "password": password}))
            .send()
    };
    // Behind our proxy (the tests' 127.0.0.1).
    let app = crate::helpers::spawn_app_with(crate::helpers::Backend::SqliteLocal, |config| {
        config.trusted_proxies = darkroom_api::TrustedProxies::parse("127.0.0.0/8").unwrap();
    })
    .await
    .expect("the embedded backend always works");
    user_with_password(&app, "gail", "correct horse battery").await;
    for _ in 0..5 {
        let r = login_from(&app, "203.0.113.9", "guess").await.unwrap();
        assert_eq!(r.status(), 401);
    }
    let r = login_from(&app, "203.0.113.9", "guess").await.unwrap();
    assert_error(r, 429, "too_many_requests").await;
    // A forged entry left of our proxy's changes nothing for the guesser.
    let r = login_from(&app, "198.51.100.7, 203.0.113.9", "guess")
        .await
        .unwrap();
    assert_error(r, 429, "too_many_requests").await;
    // Gail, elsewhere, signs in.
    let r = login_from(&app, "198.51.100.7", "correct horse battery")
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Many addresses together meet the account's overall bound (12 here).
    for n in 0..6 {
        let address: &'static str = [
            "192.0.2.1",
            "192.0.2.2",
            "192.0.2.3",
            "192.0.2.4",
            "192.0.2.5",
            "192.0.2.6",
        ][n];
        let _ = login_from(&app, address, "guess").await.unwrap();
    }
    let r = login_from(&app, "192.0.2.99", "guess").await.unwrap();
    assert_error(r, 429, "too_many_requests").await;

    // Without trusted proxies, the header is the client's to write: ignored.
    let app = crate::helpers::spawn_app(crate::helpers::Backend::SqliteLocal)
        .await
        .expect("the embedded backend always works");
    user_with_password(&app, "gail", "correct horse battery").await;
    for address in [
        "203.0.113.1",
        "203.0.113.2",
        "203.0.113.3",
        "203.0.113.4",
        "203.0.113.5",
    ] {
        let r = login_from(&app, address, "guess").await.unwrap();
        assert_eq!(r.status(), 401);
    }
    let r = login_from(&app, "203.0.113.6", "guess").await.unwrap();
    assert_error(r, 429, "too_many_requests").await;
}
