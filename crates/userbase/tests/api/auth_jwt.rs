//! End-user JWTs on `/v1/me`: each key kind, each rejection, tenant isolation (JWKS URLs: `auth_jwks`).

use jsonwebtoken::{Algorithm, EncodingKey};
use reqwest::Method;
use serde_json::{json, Value};
use userbase_core::api_key::KeyKind;
use userbase_testing::{backend_tests, Backend};

use crate::auth_support::{claims, configure_jwt, fixture, hs256, me, now, rs256, sign, HS_SECRET};
use crate::support::TestApp;

async fn hs256_tokens_act_as_their_user(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    configure_jwt(&app, &app.key, json!({"hs256_secret": HS_SECRET})).await;
    let user = app.create_user(json!({"email": "a@example.com", "auth_subject": "sub-1"})).await;
    let pk = app.new_key("acme", KeyKind::Publishable).await;
    let token = hs256(&claims("sub-1"));
    let reply = me(&app, Method::GET, &token, Some(&pk), None).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.body["id"], user["id"]);
    assert_eq!(me(&app, Method::GET, &token, None, None).await.status, 401, "the publishable key names the project");
    assert_eq!(
        me(&app, Method::GET, &token, Some(&app.key), None).await.status,
        401,
        "a secret key is not publishable"
    );
    let stranger = me(&app, Method::GET, &hs256(&claims("nobody")), Some(&pk), None).await;
    assert_eq!(stranger.status, 404);
    let project = app.get("/v1/project").await;
    assert_eq!(project.body["settings"]["jwt"]["hs256_secret_set"], true);
    assert!(!project.body.to_string().contains(HS_SECRET), "the secret is write-only");
}

async fn bad_tokens_are_401(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let rsa_pub = fixture("rsa1.pub.pem");
    configure_jwt(&app, &app.key, json!({"hs256_secret": HS_SECRET, "public_keys_pem": [rsa_pub], "issuer": "https://issuer.test", "audience": "app"})).await;
    app.create_user(json!({"auth_subject": "sub-1"})).await;
    let pk = app.new_key("acme", KeyKind::Publishable).await;
    let good = json!({"sub": "sub-1", "exp": now() + 600, "iss": "https://issuer.test", "aud": "app"});
    assert_eq!(me(&app, Method::GET, &hs256(&good), Some(&pk), None).await.status, 200);
    assert_eq!(me(&app, Method::GET, &rs256("rsa1.pem", None, &good), Some(&pk), None).await.status, 200);

    let with = |patch: Value| {
        let mut c = good.clone();
        for (k, v) in patch.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    };
    let without = |claim: &str| {
        let mut c = good.clone();
        c.as_object_mut().unwrap().remove(claim);
        c
    };
    let b64 = |v: &Value| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let other_secret = EncodingKey::from_secret(b"another-secret-of-at-least-32-bytes!!");
    let rs_as_hmac = EncodingKey::from_secret(fixture("rsa1.pub.pem").as_bytes());
    let cases = [
        ("expired", hs256(&with(json!({"exp": now() - 300})))),
        ("not yet valid", hs256(&with(json!({"nbf": now() + 300})))),
        ("wrong issuer", hs256(&with(json!({"iss": "https://evil.test"})))),
        ("wrong audience", hs256(&with(json!({"aud": "other"})))),
        // Configured claims must be present, not merely equal when present.
        ("no issuer", hs256(&without("iss"))),
        ("no audience", hs256(&without("aud"))),
        // exp and nbf, when present, must be numbers.
        ("exp as a string", hs256(&with(json!({"exp": "1"})))),
        ("exp null", hs256(&with(json!({"exp": null})))),
        ("exp true", hs256(&with(json!({"exp": true})))),
        ("nbf as a string", hs256(&with(json!({"nbf": "1"})))),
        ("nbf null", hs256(&with(json!({"nbf": null})))),
        ("nbf true", hs256(&with(json!({"nbf": true})))),
        ("sub a number", hs256(&with(json!({"sub": 1})))),
        ("no subject", hs256(&json!({"exp": now() + 600, "iss": "https://issuer.test", "aud": "app"}))),
        ("bad signature", sign(Algorithm::HS256, None, &other_secret, &good)),
        ("HS256 keyed with the RSA public key", sign(Algorithm::HS256, None, &rs_as_hmac, &good)),
        ("RS256 by an unknown key", rs256("rsa2.pem", None, &good)),
        ("alg none", format!("{}.{}.", b64(&json!({"alg": "none", "typ": "JWT"})), b64(&good))),
        ("malformed", "not.a.jwt".to_owned()),
        ("garbage", "eyJ".to_owned()),
    ];
    for (what, token) in cases {
        let reply = me(&app, Method::GET, &token, Some(&pk), None).await;
        assert_eq!(reply.status, 401, "{what}: {:?}", reply.body);
    }
    let raw = app.http.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(raw.contains("userbase_auth_failures_total{reason=\"jwt_rejected\"}"), "{raw}");
    assert!(!raw.contains(HS_SECRET));
}

async fn es256_and_eddsa_tokens_verify_against_a_jwks_document(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let jwks: Value = serde_json::from_str(&fixture("jwks1.json")).unwrap();
    configure_jwt(&app, &app.key, json!({ "jwks": jwks })).await;
    app.create_user(json!({"auth_subject": "sub-1"})).await;
    let pk = app.new_key("acme", KeyKind::Publishable).await;
    let es = EncodingKey::from_ec_pem(fixture("ec.pem").as_bytes()).unwrap();
    let ed = EncodingKey::from_ed_pem(fixture("ed.pem").as_bytes()).unwrap();
    for token in [
        sign(Algorithm::ES256, Some("ec-1"), &es, &claims("sub-1")),
        sign(Algorithm::EdDSA, Some("ed-1"), &ed, &claims("sub-1")),
        rs256("rsa1.pem", Some("rsa-1"), &claims("sub-1")),
    ] {
        assert_eq!(me(&app, Method::GET, &token, Some(&pk), None).await.status, 200);
    }
    let unknown_kid = sign(Algorithm::ES256, Some("ec-9"), &es, &claims("sub-1"));
    assert_eq!(me(&app, Method::GET, &unknown_kid, Some(&pk), None).await.status, 401);
    let without_exp = sign(Algorithm::EdDSA, Some("ed-1"), &ed, &json!({"sub": "sub-1"}));
    assert_eq!(me(&app, Method::GET, &without_exp, Some(&pk), None).await.status, 200, "exp is checked when present");
}

async fn pem_keys_verify_tokens_that_name_a_kid(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    configure_jwt(&app, &app.key, json!({"public_keys_pem": [fixture("rsa1.pub.pem"), fixture("ec.pub.pem")]})).await;
    app.create_user(json!({"auth_subject": "sub-1"})).await;
    let pk = app.new_key("acme", KeyKind::Publishable).await;
    let es = EncodingKey::from_ec_pem(fixture("ec.pem").as_bytes()).unwrap();
    for token in [
        rs256("rsa1.pem", Some("whatever-the-issuer-calls-it"), &claims("sub-1")),
        sign(Algorithm::ES256, Some("ec-key"), &es, &claims("sub-1")),
    ] {
        assert_eq!(me(&app, Method::GET, &token, Some(&pk), None).await.status, 200, "a kid is only a hint");
    }
    let unknown = rs256("rsa2.pem", Some("rsa-2"), &claims("sub-1"));
    assert_eq!(me(&app, Method::GET, &unknown, Some(&pk), None).await.status, 401);
}

async fn tokens_never_cross_projects(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    configure_jwt(&app, &app.key, json!({"hs256_secret": HS_SECRET})).await;
    app.create_user(json!({"auth_subject": "sub-1"})).await;
    let other_secret = app.new_project("globex").await;
    let other_pk = app.new_key("globex", KeyKind::Publishable).await;
    let token = hs256(&claims("sub-1"));
    assert_eq!(me(&app, Method::GET, &token, Some(&other_pk), None).await.status, 401, "globex trusts no keys yet");
    configure_jwt(&app, &other_secret, json!({"hs256_secret": HS_SECRET})).await;
    let reply = me(&app, Method::GET, &token, Some(&other_pk), None).await;
    assert_eq!(reply.status, 404, "the same subject names nobody in globex");
}

async fn project_settings_reject_bad_keys(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    for jwt in [
        json!({"hs256_secret": "short"}),
        json!({"public_keys_pem": ["-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----"]}),
        json!({"jwks": {"no": "keys"}}),
        json!({"jwks_url": "ftp://example.com/jwks"}),
    ] {
        let reply = app.send(Method::PATCH, "/v1/project", Some(&app.key), Some(&json!({ "jwt": jwt }))).await;
        assert_eq!(reply.status, 422, "{jwt}: {:?}", reply.body);
    }
    let unknown = app.send(Method::PATCH, "/v1/project", Some(&app.key), Some(&json!({"jwt": {"secret": "x"}}))).await;
    assert_eq!(unknown.status, 400);
    let renamed = app.send(Method::PATCH, "/v1/project", Some(&app.key), Some(&json!({"name": "Acme Inc"}))).await;
    assert_eq!(renamed.body["name"], "Acme Inc");
    // The key that made the change is cached with its project; the very next request sees the new settings.
    assert_eq!(app.get("/v1/project").await.body["name"], "Acme Inc");
}

backend_tests!(
    hs256_tokens_act_as_their_user,
    bad_tokens_are_401,
    es256_and_eddsa_tokens_verify_against_a_jwks_document,
    pem_keys_verify_tokens_that_name_a_kid,
    tokens_never_cross_projects,
    project_settings_reject_bad_keys,
);
