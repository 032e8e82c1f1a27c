//! `POST /v1/users/bulk`: per-item results in order, atomic items, create and upsert.

use serde_json::{json, Value};
use userbase_testing::{backend_tests, Backend};

use crate::support::{Reply, TestApp};

async fn bulk(app: &TestApp, query: &str, content_type: &str, body: String) -> Reply {
    let req = app
        .http
        .post(format!("{}/v1/users/bulk{query}", app.base))
        .bearer_auth(&app.key)
        .header("content-type", content_type)
        .body(body);
    TestApp::read(req).await
}

fn ndjson(items: &[Value]) -> String {
    items.iter().map(|v| v.to_string() + "\n").collect()
}

fn actions(reply: &Reply) -> Vec<String> {
    reply.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| match r["error"]["code"].as_str() {
            Some(code) => format!("failed:{code}"),
            None => r["action"].as_str().unwrap().to_owned(),
        })
        .collect()
}

async fn total(app: &TestApp) -> u64 {
    app.get("/v1/users?include=total&limit=1").await.body["total"].as_u64().unwrap()
}

/// A user created in bulk is stored exactly as the same body created one at a time (every field kind:
/// text, dates, enums, JSON documents, lists, refs).
async fn bulk_create_stores_every_field_like_a_single_create(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let body = |n: u32| {
        json!({"email": format!("Full{n}@Example.com"), "email_verified": true, "salutation": "Dr.", "first_name": "Åsa",
               "middle_name": "van", "last_name": "Öberg \"quoted\"", "full_name": "Åsa van Öberg", "abbreviation": "AO",
               "birthday": "1980-02-29", "gender": "female", "phone": "+4712345678", "mobile": "+4798765432",
               "locale": "nb-NO", "country": "NO", "company_name": "Acme", "login": format!("asa{n}"), "debtor_id": "D1",
               "tax_number": "T1", "coc_number": "C1", "pricelist_amount": "10", "pricelist_percentage": "5",
               "parent_group": {"source": "erp", "source_id": "g1"},
               "external_refs": [{"source": "crm", "source_id": format!("c{n}")}],
               "metadata": {"plan": "pro", "emoji": "🙂"}, "tags": ["vip", "beta"], "roles": ["admin"],
               "bio": "line one\nline two", "note": "n", "image": "img", "avatar": "av", "default_payment_method": "pm",
               "auth_subject": format!("sub-{n}"), "status": "blocked"})
    };
    let single = app.post("/v1/users", &body(1)).await;
    assert_eq!(single.status, 201, "{:?}", single.body);
    let reply = bulk(&app, "", "application/x-ndjson", ndjson(&[body(2)])).await;
    assert_eq!(actions(&reply), ["created"], "{:?}", reply.body);
    let id = reply.body["results"][0]["id"].as_str().unwrap();
    let bulked = app.get(&format!("/v1/users/{id}")).await.body;
    let comparable = |mut u: Value| {
        for varying in [
            "id",
            "object_id",
            "numeric_id",
            "human_id",
            "created_at",
            "updated_at",
            "email",
            "login",
            "external_refs",
            "auth_subject",
        ] {
            u.as_object_mut().unwrap().remove(varying);
        }
        u
    };
    assert_eq!(comparable(bulked.clone()), comparable(single.body.clone()));
    assert_eq!(bulked["email"], "Full2@Example.com");
    assert_eq!(bulked["external_refs"], json!([{"source": "crm", "source_id": "c2"}]));
    assert_eq!(bulked["auth_subject"], "sub-2");
    assert!(bulked["created_at"].as_str().unwrap().ends_with('Z'));
    // The stored email is unique and searchable like any other.
    let found = app.get("/v1/users?email=full2@example.com").await.body;
    assert_eq!(found["data"][0]["id"], id);
    let again = bulk(&app, "", "application/x-ndjson", ndjson(&[body(2)])).await;
    assert_eq!(actions(&again)[0].split(':').next(), Some("failed"), "{:?}", again.body);
}

async fn bulk_create_reports_every_item_in_order_and_keeps_the_valid_ones(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    app.create_user(json!({"email": "taken@example.com", "external_refs": [{"source": "erp", "source_id": "7"}]}))
        .await;
    let body = [
        json!({"email": "a@example.com", "first_name": "A"}).to_string(),
        "{not json".to_owned(),
        json!({"email": "b@example.com", "colour": "red"}).to_string(),
        json!({"email": "not-an-email"}).to_string(),
        json!({"email": "TAKEN@example.com"}).to_string(),
        json!({"email": "A@example.com"}).to_string(),
        json!({"external_refs": [{"source": "erp", "source_id": "7"}]}).to_string(),
        json!({"email": "c@example.com", "external_refs": [{"source": "erp", "source_id": "8"}]}).to_string(),
    ]
    .join("\n");
    let reply = bulk(&app, "", "application/x-ndjson", body).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(
        actions(&reply),
        [
            "created",
            "failed:malformed_json",
            "failed:invalid_body",
            "failed:validation_failed",
            "failed:email_taken",
            "failed:email_taken",
            "failed:external_ref_taken",
            "created"
        ]
    );
    let indexes: Vec<u64> =
        reply.body["results"].as_array().unwrap().iter().map(|r| r["index"].as_u64().unwrap()).collect();
    assert_eq!(indexes, (0..8).collect::<Vec<u64>>());
    assert_eq!((reply.body["created"].as_u64(), reply.body["failed"].as_u64()), (Some(2), Some(6)));
    let id = reply.body["results"][0]["id"].as_str().unwrap();
    let user = app.get(&format!("/v1/users/{id}")).await;
    assert_eq!(user.body["first_name"], "A");
    assert_eq!(total(&app).await, 3, "the failed items left nothing behind");
}

async fn a_json_array_of_many_items_spans_batches(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let items: Vec<Value> =
        (0..1_203).map(|i| json!({"email": format!("u{i}@example.com"), "tags": ["imported"]})).collect();
    let reply = bulk(&app, "", "application/json", Value::Array(items).to_string()).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["created"], 1_203, "{:?}", reply.body["results"][0]);
    assert_eq!(total(&app).await, 1_203);
    let filtered = app.get("/v1/users?include=total&limit=1&filter=tags%20eq%20%22imported%22").await;
    assert_eq!(filtered.body["total"], 1_203);
}

async fn upsert_by_email_updates_existing_users_and_reruns_change_nothing(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let existing = app.create_user(json!({"email": "ann@example.com", "first_name": "Ann", "phone": "1"})).await;
    let items = ndjson(&[
        json!({"email": "ANN@example.com", "last_name": "Lee", "metadata": {"src": "import"}}),
        json!({"email": "bob@example.com", "first_name": "Bob"}),
        json!({"first_name": "no key"}),
    ]);
    let first = bulk(&app, "?mode=upsert&key=email", "application/x-ndjson", items.clone()).await;
    assert_eq!(actions(&first), ["updated", "created", "failed:validation_failed"]);
    assert_eq!(first.body["results"][0]["id"], existing["id"]);
    let ann = app.get(&format!("/v1/users/{}", existing["id"].as_str().unwrap())).await.body;
    assert_eq!(
        (ann["first_name"].as_str(), ann["last_name"].as_str(), ann["phone"].as_str()),
        (Some("Ann"), Some("Lee"), Some("1"))
    );
    let again = bulk(&app, "?mode=upsert&key=email", "application/x-ndjson", items).await;
    assert_eq!(actions(&again), ["unchanged", "unchanged", "failed:validation_failed"]);
    assert_eq!(again.body["results"][1]["id"], first.body["results"][1]["id"]);
    assert_eq!(total(&app).await, 2, "a re-run creates nobody");
    let after = app.get(&format!("/v1/users/{}", existing["id"].as_str().unwrap())).await.body;
    assert_eq!(after["updated_at"], ann["updated_at"], "and writes nothing");
}

async fn upsert_by_external_ref_and_by_id(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let items = ndjson(&[
        json!({"external_refs": [{"source": "erp", "source_id": "1"}], "first_name": "One"}),
        json!({"external_refs": [{"source": "crm", "source_id": "1"}], "first_name": "Wrong source"}),
    ]);
    let first = bulk(&app, "?mode=upsert&key=external_ref&source=erp", "application/x-ndjson", items).await;
    assert_eq!(actions(&first), ["created", "failed:validation_failed"]);
    let id = first.body["results"][0]["id"].as_str().unwrap().to_owned();
    let update = ndjson(&[json!({"external_refs": [{"source": "erp", "source_id": "1"}], "first_name": "Uno"})]);
    let second = bulk(&app, "?mode=upsert&key=external_ref&source=erp", "application/x-ndjson", update).await;
    assert_eq!(actions(&second), ["updated"]);
    assert_eq!(second.body["results"][0]["id"], id.as_str());

    let by_id = ndjson(&[
        json!({"id": id, "last_name": "Last"}),
        json!({"id": "usr_0000000000000000000000000000", "last_name": "Nobody"}),
        json!({"last_name": "No id"}),
    ]);
    let third = bulk(&app, "?mode=upsert&key=id", "application/x-ndjson", by_id).await;
    assert_eq!(actions(&third), ["updated", "failed:user_not_found", "failed:validation_failed"]);
    let user = app.get(&format!("/v1/users/{id}")).await.body;
    assert_eq!((user["first_name"].as_str(), user["last_name"].as_str()), (Some("Uno"), Some("Last")));
}

async fn bad_bulk_requests_are_refused_or_stop_cleanly(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    for query in ["?mode=merge", "?key=email", "?mode=upsert&key=phone", "?mode=upsert&key=external_ref", "?extra=1"] {
        let reply = bulk(&app, query, "application/x-ndjson", String::new()).await;
        assert_eq!(reply.status, 400, "{query}");
    }
    assert_eq!(bulk(&app, "", "text/csv", "email\n".into()).await.status, 415);
    let unauthenticated = TestApp::read(app.http.post(format!("{}/v1/users/bulk", app.base)).body("[]")).await;
    assert_eq!(unauthenticated.status, 401);

    // A broken array stops reading; what came before it is applied and reported.
    let reply =
        bulk(&app, "", "application/json", r#"[{"email": "a@example.com"}, {"email": "b@example.com"} {"#.into()).await;
    assert_eq!(reply.status, 200);
    assert_eq!(actions(&reply), ["created", "created"]);
    assert_eq!(reply.body["error"]["code"], "malformed_body");
    let empty = bulk(&app, "", "application/json", "[]".into()).await;
    assert_eq!((empty.status, empty.body["created"].as_u64()), (200, Some(0)));
}

async fn bulk_upserts_stay_in_their_project(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let theirs = app.create_user(json!({"email": "shared@example.com", "first_name": "Acme"})).await;
    let other = app.new_project("globex").await;
    let req = app
        .http
        .post(format!("{}/v1/users/bulk?mode=upsert&key=email", app.base))
        .bearer_auth(&other)
        .header("content-type", "application/x-ndjson")
        .body(ndjson(&[json!({"email": "shared@example.com", "first_name": "Globex"})]));
    let reply = TestApp::read(req).await;
    assert_eq!(actions(&reply), ["created"]);
    assert_ne!(reply.body["results"][0]["id"], theirs["id"]);
    let untouched = app.get(&format!("/v1/users/{}", theirs["id"].as_str().unwrap())).await;
    assert_eq!(untouched.body["first_name"], "Acme");
}

/// Three bulk upserts of the same new users at once: whichever inserts a user first creates it, and the others
/// update it instead of failing with a conflict on the key they upsert by.
async fn concurrent_bulk_upserts_of_the_same_new_users_all_succeed(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let app = std::sync::Arc::new(app);
    for (query, item) in [
        (
            "?mode=upsert&key=email",
            (|i: usize| json!({"email": format!("u{i}@example.com"), "first_name": "Race"})) as fn(usize) -> Value,
        ),
        (
            "?mode=upsert&key=external_ref&source=erp",
            |i: usize| json!({"external_refs": [{"source": "erp", "source_id": format!("e{i}")}], "last_name": "Race"}),
        ),
    ] {
        let items: Vec<Value> = (0..1_000).map(item).collect();
        let body = ndjson(&items);
        let tasks: Vec<_> = (0..3)
            .map(|_| {
                let (app, body) = (app.clone(), body.clone());
                tokio::spawn(async move { bulk(&app, query, "application/x-ndjson", body).await })
            })
            .collect();
        let mut created = 0;
        for task in tasks {
            let reply = task.await.unwrap();
            assert_eq!(reply.status, 200, "{:?}", reply.body["error"]);
            let failed: Vec<&Value> =
                reply.body["results"].as_array().unwrap().iter().filter(|r| r["action"] == "failed").collect();
            assert!(failed.is_empty(), "{query}: {} items failed, e.g. {:?}", failed.len(), failed.first());
            created += reply.body["created"].as_u64().unwrap();
        }
        assert_eq!(created, 1_000, "{query}: each user is created once");
    }
    let listed = app.get("/v1/users?limit=1&include=total").await.body;
    assert_eq!(listed["total"], 2_000);
}

backend_tests!(
    concurrent_bulk_upserts_of_the_same_new_users_all_succeed,
    bulk_create_stores_every_field_like_a_single_create,
    bulk_create_reports_every_item_in_order_and_keeps_the_valid_ones,
    a_json_array_of_many_items_spans_batches,
    upsert_by_email_updates_existing_users_and_reruns_change_nothing,
    upsert_by_external_ref_and_by_id,
    bad_bulk_requests_are_refused_or_stop_cleanly,
    bulk_upserts_stay_in_their_project,
);
