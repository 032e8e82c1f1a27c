//! Filtering users with the expression language, on `GET /v1/users?filter=` and `POST /v1/users/search`.

use std::collections::BTreeSet;

use serde_json::{json, Value};
use userbase_testing::{backend_tests, Backend};

use crate::support::{ids, TestApp};

/// Creates the cast and returns their ids by name.
async fn cast(app: &TestApp) -> Vec<(&'static str, String)> {
    let people = [
        (
            "ann",
            json!({"email": "Ann@Example.com", "first_name": "Ann", "last_name": "Lee", "tags": ["vip", "beta"],
                        "metadata": {"plan": "gold", "it's": "quoted"}, "country": "NL", "gender": "female",
                        "birthday": "1990-05-01", "email_verified": true,
                        "external_refs": [{"source": "erp", "source_id": "42"}]}),
        ),
        (
            "bob",
            json!({"email": "bob@example.org", "first_name": "Bob", "last_name": "Stone", "tags": ["beta"],
                        "metadata": {"plan": "silver"}, "country": "US", "gender": "male", "birthday": "1985-01-31",
                        "external_refs": [{"source": "crm", "source_id": "42"}]}),
        ),
        ("cho", json!({"email": "cho@example.com", "first_name": "Cho 100%", "tags": [], "status": "blocked"})),
        ("dee", json!({"first_name": "Dee_", "last_name": "O'Brien"})),
    ];
    let mut out = Vec::new();
    for (name, body) in people {
        out.push((name, app.create_user(body).await["id"].as_str().unwrap().to_owned()));
    }
    out
}

fn names(cast: &[(&'static str, String)], list: &Value) -> BTreeSet<&'static str> {
    let found = ids(list);
    cast.iter().filter(|(_, id)| found.contains(id)).map(|(n, _)| *n).collect()
}

async fn filters_select_exactly_the_matching_users(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let cast = cast(&app).await;
    let ann_id = cast[0].1.clone();
    let ann_address = format!("/v1/users/{ann_id}/addresses");
    assert_eq!(app.post(&ann_address, &json!({"type": "invoice", "city": "Oslo", "country": "NO"})).await.status, 201);
    for (filter, expected) in [
        (r#"email eq "ann@example.COM""#.to_owned(), vec!["ann"]),
        (r#"email ew "example.com""#.to_owned(), vec!["ann", "cho"]),
        (r#"first_name eq "ann""#.to_owned(), vec!["ann"]),
        (r#"first_name sw "B" or last_name co "bri""#.to_owned(), vec!["bob", "dee"]),
        (r#"first_name co "%""#.to_owned(), vec!["cho"]),
        (r#"first_name ew "_""#.to_owned(), vec!["dee"]),
        (r#"last_name co "'""#.to_owned(), vec!["dee"]),
        (r#"not (last_name eq "Lee")"#.to_owned(), vec!["bob", "cho", "dee"]),
        (r#"last_name ne "Lee""#.to_owned(), vec!["bob", "cho", "dee"]),
        ("last_name pr".to_owned(), vec!["ann", "bob", "dee"]),
        (r#"tags eq "beta""#.to_owned(), vec!["ann", "bob"]),
        (r#"tags eq "vip" and tags eq "beta""#.to_owned(), vec!["ann"]),
        ("tags pr".to_owned(), vec!["ann", "bob"]),
        ("not tags pr".to_owned(), vec!["cho", "dee"]),
        (r#"metadata.plan eq "gold""#.to_owned(), vec!["ann"]),
        (r#"metadata.plan sw "s""#.to_owned(), vec!["bob"]),
        (r#"metadata.it's eq "quoted""#.to_owned(), vec!["ann"]),
        ("metadata.plan pr".to_owned(), vec!["ann", "bob"]),
        (r#"external_refs.source_id eq "42""#.to_owned(), vec!["ann", "bob"]),
        (r#"external_refs[source eq "erp" and source_id eq "42"]"#.to_owned(), vec!["ann"]),
        (r#"external_refs[source eq "erp" and source_id eq "43"]"#.to_owned(), vec![]),
        (r#"addresses.city eq "oslo""#.to_owned(), vec!["ann"]),
        (r#"addresses[type eq "invoice" and country eq "NO"]"#.to_owned(), vec!["ann"]),
        ("addresses pr".to_owned(), vec!["ann"]),
        (r#"country eq "nl""#.to_owned(), vec!["ann"]),
        (r#"gender eq "male""#.to_owned(), vec!["bob"]),
        (r#"birthday lt "1989-01-01""#.to_owned(), vec!["bob"]),
        ("email_verified eq true".to_owned(), vec!["ann"]),
        (r#"status eq "blocked""#.to_owned(), vec!["cho"]),
        (format!(r#"id eq "{ann_id}""#), vec!["ann"]),
        (
            r#"created_at gt "2000-01-01T00:00:00Z" and created_at lt "2999-01-01T00:00:00Z""#.to_owned(),
            vec!["ann", "bob", "cho", "dee"],
        ),
        (r#"created_at lt "2000-01-01T00:00:00Z""#.to_owned(), vec![]),
        (r#"email eq "x' OR '1'='1""#.to_owned(), vec![]),
    ] {
        let encoded: String = url_encode(&filter);
        let reply = app.get(&format!("/v1/users?limit=200&filter={encoded}")).await;
        assert_eq!(reply.status, 200, "{filter}: {:?}", reply.body);
        let expected: BTreeSet<&str> = expected.into_iter().collect();
        assert_eq!(names(&cast, &reply.body), expected, "{filter}");
        let searched = app.post("/v1/users/search", &json!({"filter": filter, "limit": 200})).await;
        assert_eq!(names(&cast, &searched.body), expected, "POST {filter}");
    }
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn filtered_lists_page_and_count(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    for i in 0..7 {
        app.create_user(
            json!({"email": format!("u{i}@example.com"), "tags": if i % 2 == 0 { json!(["even"]) } else { json!([]) }}),
        )
        .await;
    }
    let first =
        app.post("/v1/users/search", &json!({"filter": "tags eq \"even\"", "limit": 3, "include": "total"})).await;
    assert_eq!(first.status, 200, "{:?}", first.body);
    assert_eq!(first.body["total"], 4);
    assert_eq!(ids(&first.body).len(), 3);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let rest = app.post("/v1/users/search", &json!({"filter": "tags eq \"even\"", "limit": 3, "cursor": cursor})).await;
    assert_eq!(ids(&rest.body).len(), 1);
    assert_eq!(rest.body["has_more"], false);
    assert!(rest.body.get("total").is_none(), "total only when asked for");
}

async fn bad_filters_are_400_with_the_position(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    for (filter, position) in
        [(r#"colour eq "blue""#, 0), (r#"email eq"#, 8), (r#"created_at gt "soon""#, 14), ("(email pr", 9)]
    {
        let reply = app.post("/v1/users/search", &json!({ "filter": filter })).await;
        assert_eq!(reply.status, 400, "{filter}");
        assert_eq!(reply.code(), "invalid_filter");
        assert_eq!(reply.body["position"], position, "{filter}");
        assert_eq!(reply.body["errors"][0]["field"], "filter");
    }
    let reply = app.get("/v1/users?include=everything").await;
    assert_eq!(reply.status, 400);
    let reply = app.post("/v1/users/search", &json!({"filter": 5})).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.code(), "invalid_body");
}

async fn filters_never_cross_projects(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    app.create_user(json!({"email": "a@example.com", "tags": ["vip"]})).await;
    let other = app.new_project("globex").await;
    let reply = app
        .send(
            reqwest::Method::POST,
            "/v1/users/search",
            Some(&other),
            Some(&json!({"filter": "tags eq \"vip\" or email pr"})),
        )
        .await;
    assert_eq!(reply.status, 200);
    assert!(ids(&reply.body).is_empty());
}

backend_tests!(
    filters_select_exactly_the_matching_users,
    filtered_lists_page_and_count,
    bad_filters_are_400_with_the_position,
    filters_never_cross_projects,
);
