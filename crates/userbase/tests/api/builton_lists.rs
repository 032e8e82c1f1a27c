//! BuiltOn lists: `GET /users` and `GET /users/search` with paging, sort, date windows, the tag grammar and
//! deleted users.

use reqwest::Method;
use serde_json::json;
use userbase_testing::{backend_tests, Backend};

use crate::auth_support::now;
use crate::builton_support::{error_type, oid, oids, As, Builton};

async fn pages_are_zero_based_bare_arrays_with_the_total_in_a_header(backend: Backend) {
    let Some(b) = Builton::spawn(backend).await else { return };
    let mut made = Vec::new();
    for i in 0..12 {
        made.push(oid(&b.admin_create(json!({"first_name": format!("u{i:02}")})).await));
    }
    let first = b.get("/users", As::Admin).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.header("x-pagination-total"), Some("12"));
    assert_eq!(oids(&first.body), made[..10], "size 10 by default, oldest first");
    let mut seen = Vec::new();
    for page in 0..3 {
        let reply = b.get(&format!("/users?size=5&page={page}"), As::Admin).await;
        assert_eq!(reply.header("x-pagination-total"), Some("12"));
        seen.extend(oids(&reply.body));
    }
    assert_eq!(seen, made);
    let beyond = b.get("/users?size=5&page=99", As::Admin).await;
    assert_eq!((beyond.body.clone(), beyond.header("x-pagination-total")), (json!([]), Some("12")));
    for bad in
        ["size=0", "size=201", "size=ten", "page=-1", "page=x", "size=", "bogus=1", "sort=height", "date_filter=born"]
    {
        let reply = b.get(&format!("/users?{bad}"), As::Admin).await;
        assert_eq!((reply.status, error_type(&reply)), (400, "ValidationError"), "{bad}: {:?}", reply.body);
    }
    assert_eq!(b.get("/users?size=200&expand=x", As::Admin).await.status, 400, "expand is for single reads");
    assert_eq!(b.get(&format!("/users/{}?expand=company", made[0]), As::Admin).await.status, 200);
}

async fn sort_orders_by_builton_field_names(backend: Backend) {
    let Some(b) = Builton::spawn(backend).await else { return };
    let c = oid(&b.admin_create(json!({"last_name": "Cee"})).await);
    let a = oid(&b.admin_create(json!({"last_name": "ay"})).await);
    let bb = oid(&b.admin_create(json!({"last_name": "Bee"})).await);
    let order = |q: &'static str| {
        let b = &b;
        async move { oids(&b.get(&format!("/users?{q}"), As::Admin).await.body) }
    };
    assert_eq!(order("sort=created").await, [c.as_str(), a.as_str(), bb.as_str()]);
    assert_eq!(order("sort=-created").await, [bb.as_str(), a.as_str(), c.as_str()]);
    assert_eq!(order("sort=last_name").await, [a.as_str(), bb.as_str(), c.as_str()]);
    assert_eq!(order("sort=-last_name").await, [c.as_str(), bb.as_str(), a.as_str()]);
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    b.call(Method::PUT, &format!("/users/{c}"), As::Admin, Some(&json!({"bio": "touched"}))).await;
    assert_eq!(order("sort=-modified").await[0], c);
    assert_eq!(
        oids(&b.get("/users/search", As::Admin).await.body),
        [bb.as_str(), a.as_str(), c.as_str()],
        "search: newest first"
    );
}

async fn date_windows_are_unix_seconds_on_the_chosen_field(backend: Backend) {
    let Some(b) = Builton::spawn(backend).await else { return };
    let u = oid(&b.admin_create(json!({})).await);
    let signed_in = oid(&b.call(Method::POST, "/users", As::User("s"), Some(&json!({}))).await.body);
    let t = now();
    let count = |q: String| {
        let b = &b;
        async move {
            let reply = b.get(&format!("/users?{q}"), As::Admin).await;
            assert_eq!(reply.status, 200, "{q}: {:?}", reply.body);
            (oids(&reply.body).len(), reply.header("x-pagination-total").unwrap().to_owned())
        }
    };
    assert_eq!(count(format!("from_date={}&to_date={}", t - 60, t + 60)).await, (2, "2".into()));
    assert_eq!(count(format!("from_date={}", t + 60)).await.0, 0);
    assert_eq!(count(format!("to_date={}", t - 60)).await.0, 0);
    assert_eq!(
        count("from_date=2361183241434822606848".into()).await,
        (0, "0".into()),
        "far future: empty, not an error"
    );
    assert_eq!(count("to_date=2361183241434822606848".into()).await.0, 2);
    let logged = b.get(&format!("/users?date_filter=last_login&from_date={}", t - 60), As::Admin).await;
    assert_eq!(oids(&logged.body), [signed_in.as_str()], "only the JWT user has logged in");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    b.call(Method::PUT, &format!("/users/{u}"), As::Admin, Some(&json!({"bio": "x"}))).await;
    let modified = b.get(&format!("/users?date_filter=modified&from_date={}", now()), As::Admin).await;
    assert_eq!(oids(&modified.body), [u]);
    let bad = b.get("/users?from_date=yesterday", As::Admin).await;
    assert_eq!((bad.status, error_type(&bad)), (400, "ValidationError"));
}

async fn the_tag_grammar_ors_commas_and_ands_pluses(backend: Backend) {
    let Some(b) = Builton::spawn(backend).await else { return };
    let mut ids = std::collections::HashMap::new();
    for (name, tags) in [
        ("a", json!(["a"])),
        ("ab", json!(["a", "b"])),
        ("b", json!(["b"])),
        ("ac", json!(["a", "c"])),
        ("c", json!(["c"])),
    ] {
        ids.insert(oid(&b.admin_create(json!({"tags": tags})).await), name);
    }
    let names = |q: &'static str| {
        let (b, ids) = (&b, &ids);
        async move {
            let reply = b.get(&format!("/users?tags={q}"), As::Admin).await;
            assert_eq!(reply.status, 200, "{q}: {:?}", reply.body);
            let mut n: Vec<&str> = oids(&reply.body).iter().map(|id| ids[id]).collect();
            n.sort();
            n
        }
    };
    assert_eq!(names("a").await, ["a", "ab", "ac"]);
    assert_eq!(names("a%2Bb").await, ["ab"]);
    assert_eq!(names("a%2B").await, ["a"], "a trailing + means only that tag");
    assert_eq!(names("a%2Bb,%20c").await, ["ab", "ac", "c"]);
    assert_eq!(names("a+b").await, ["ab"], "an unencoded + decodes to a space, taken as +");
    assert_eq!(names("b,c").await, ["ab", "ac", "b", "c"]);
    assert_eq!(names("").await.len(), 5, "an empty expression filters nothing");
    assert_eq!(names("zzz").await, Vec::<&str>::new());
    let bad = b.get("/users?tags=a%2B%2Bb", As::Admin).await;
    assert_eq!((bad.status, error_type(&bad)), (400, "ValidationError"));
    let search = b.get("/users/search?query=&tags=c&size=1", As::Admin).await;
    assert_eq!((oids(&search.body).len(), search.header("x-pagination-total")), (1, Some("2")));
}

async fn deleted_users_are_listed_only_when_asked(backend: Backend) {
    let Some(b) = Builton::spawn(backend).await else { return };
    let kept = oid(&b.admin_create(json!({})).await);
    let gone = oid(&b.admin_create(json!({})).await);
    b.call(Method::DELETE, &format!("/users/{gone}"), As::Admin, None).await;
    assert_eq!(oids(&b.get("/users", As::Admin).await.body), [kept.as_str()]);
    assert_eq!(oids(&b.get("/users?include_deleted=false", As::Admin).await.body), [kept.as_str()]);
    let all = b.get("/users?include_deleted=true", As::Admin).await;
    assert_eq!((oids(&all.body), all.header("x-pagination-total")), (vec![kept, gone], Some("2")));
    assert_eq!(b.get("/users?include_deleted=maybe", As::Admin).await.status, 400);
}

async fn search_matches_names_email_human_id_and_id(backend: Backend) {
    let Some(b) = Builton::spawn(backend).await else { return };
    let ada = b.admin_create(json!({"first_name": "Ada", "last_name": "Lovelace", "email": "ada@math.example"})).await;
    let alan = b.admin_create(json!({"first_name": "Alan", "last_name": "Turing", "email": "alan@example.com"})).await;
    let find = |q: String| {
        let b = &b;
        async move {
            let reply = b.get(&format!("/users/search?query={q}"), As::Admin).await;
            assert_eq!(reply.status, 200, "{q}: {:?}", reply.body);
            oids(&reply.body)
        }
    };
    assert_eq!(find("ada".into()).await, [oid(&ada)], "first name, case-insensitively");
    assert_eq!(find("TURING".into()).await, [oid(&alan)]);
    assert_eq!(find("math.example".into()).await, [oid(&ada)]);
    assert_eq!(find("a".into()).await, [oid(&alan), oid(&ada)], "newest first");
    let human = ada["human_id"].as_str().unwrap();
    assert!(find(human.to_lowercase()).await.contains(&oid(&ada)));
    assert_eq!(find(oid(&alan)).await, [oid(&alan)]);
    assert_eq!(find("nobody".into()).await, Vec::<String>::new());
    let on_list = b.get("/users?query=ada", As::Admin).await;
    assert_eq!((on_list.status, error_type(&on_list)), (400, "ValidationError"));
}

async fn listed_users_carry_their_own_addresses(backend: Backend) {
    let Some(b) = Builton::spawn(backend).await else { return };
    let city = |c: &str| json!({"city": c, "alias": "", "service": "google"});
    let ada = b.admin_create(json!({"first_name": "Ada", "addresses": [city("Oslo"), city("Bergen")]})).await;
    let bob = b.admin_create(json!({"first_name": "Bob"})).await;
    let cy = b
        .admin_create(json!({"first_name": "Cy", "addresses": [city("Tromsø")], "billing_address": city("Bodø")}))
        .await;
    // Written after the others: a later address of an earlier user still lands on that user.
    let molde = json!([city("Molde")]);
    let put = b.call(Method::PUT, &format!("/users/{}/addresses", oid(&bob)), As::Admin, Some(&molde)).await;
    assert_eq!(put.status, 200);
    for path in ["/users?sort=first_name", "/users/search?sort=first_name"] {
        let list = b.get(path, As::Admin).await.body;
        assert_eq!(oids(&list), [oid(&ada), oid(&bob), oid(&cy)], "{path}");
        assert_eq!(list[0]["addresses"], json!([city("Oslo"), city("Bergen")]), "{path}");
        assert_eq!(list[1]["addresses"], json!([city("Molde")]), "{path}");
        assert_eq!(
            (list[2]["addresses"].clone(), list[2]["billing_address"].clone()),
            (json!([city("Tromsø")]), city("Bodø"))
        );
        assert_eq!(list[0].get("billing_address"), None, "{path}");
    }
}

backend_tests!(
    listed_users_carry_their_own_addresses,
    pages_are_zero_based_bare_arrays_with_the_total_in_a_header,
    sort_orders_by_builton_field_names,
    date_windows_are_unix_seconds_on_the_chosen_field,
    the_tag_grammar_ors_commas_and_ands_pluses,
    deleted_users_are_listed_only_when_asked,
    search_matches_names_email_human_id_and_id,
);
