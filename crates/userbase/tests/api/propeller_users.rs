//! Propeller users: the contract's examples replayed, lookup keys, recycle bin, the user errors, and one
//! store under every dialect.

use reqwest::Method;
use serde_json::{json, Value};
use userbase_testing::{backend_tests, Backend};

use crate::builton_support::{As, Builton};
use crate::gigs_support::assert_same_shape;
use crate::propeller_support::{assert_error, create, message, prop};
use crate::support::TestApp;

/// The create example of the contract (P2), with the field-type drift it shows.
fn create_example() -> Value {
    json!({
        "debtorId": 12345, "firstName": "Jan", "middleName": "van", "lastName": "Dijk", "title": "Dhr.",
        "abbreviation": "JvD", "dateOfBirth": "28/08/1993", "gender": "M", "login": "jan",
        "phone": 612345678, "mobile": "0612345678", "email": "jan@example.com", "company": "Propeller",
        "pricelistAmount": "PL1", "pricelistPercentage": "PP1", "taxNumber": "NL001", "cocNumber": "12345678",
        "language": "NL", "sourceId": 3002196, "source": "ERP"
    })
}

async fn create_get_patch_delete_follow_the_contract(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let created = prop(&app, Method::POST, "/users", Some(&create_example())).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["messages"], json!(["User created"]));
    assert_eq!(created.body["total"], 1);
    let id = created.body["data"]["id"].as_i64().unwrap();
    // The echo keeps what was sent (debtorId a number) and adds the id.
    let mut expected = create_example();
    expected["id"] = json!(1);
    assert_same_shape(&created.body["data"], &expected, "data");

    let got = prop(&app, Method::GET, &format!("/users/id/{id}?expands=sources,parent"), None).await;
    assert_eq!(got.status, 200, "{:?}", got.body);
    assert_eq!((got.body["messages"].clone(), got.body["total"].clone()), (json!([]), json!(1)));
    let u = &got.body["data"];
    assert_eq!(u["id"], id);
    assert_eq!(u["debtorId"], "12345", "a string on reads (QUIRK)");
    assert_eq!(u["phone"], "612345678");
    assert_eq!(u["dateOfBirth"], "August, 28 1993 00:00:00 +0000");
    assert_eq!((u["gender"].as_str(), u["primaryLanguage"].as_str()), (Some("M"), Some("NL")));
    assert_eq!((u["title"].as_str(), u["company"].as_str()), (Some("Dhr."), Some("Propeller")));
    assert_eq!((u["sourceId"].as_str(), u["source"].as_str()), (Some("3002196"), Some("ERP")));
    assert_eq!(u["sources"], json!([{"source": "ERP", "sourceId": "3002196"}]));
    assert_eq!(u["parent"], Value::Null);
    let plain = prop(&app, Method::GET, &format!("/users/id/{id}"), None).await;
    assert!(plain.body["data"].get("sources").is_none() && plain.body["data"].get("parent").is_none());

    let by_source = prop(&app, Method::GET, "/users/sourceId/3002196?source=ERP&language=NL", None).await;
    assert_eq!(by_source.body["data"]["id"], id);

    let patched = prop(
        &app,
        Method::PATCH,
        "/users/sourceId/3002196",
        Some(&json!({"lastName": "Berg", "gender": "f", "dateOfBirth": "1990-01-02"})),
    )
    .await;
    assert_eq!(patched.status, 200, "{:?}", patched.body);
    assert_eq!(patched.body["messages"], json!(["User updated"]));
    assert_eq!(patched.body["total"], 1);
    assert_eq!(
        (patched.body["data"]["lastName"].as_str(), patched.body["data"]["firstName"].as_str()),
        (Some("Berg"), Some("Jan"))
    );
    assert_eq!(patched.body["data"]["gender"], "F");
    assert_eq!(patched.body["data"]["dateOfBirth"], "January, 02 1990 00:00:00 +0000");

    let deleted = prop(&app, Method::DELETE, &format!("/users/id/{id}"), None).await;
    assert_eq!(deleted.status, 200);
    assert_eq!(deleted.body, json!({"data": {}, "messages": ["User deleted"]}));
    // The recycle bin: gone for every route, the source pair free again, restorable through v1.
    for method in [Method::GET, Method::DELETE] {
        let again = prop(&app, method, &format!("/users/id/{id}"), None).await;
        assert_error(&again, 404, 70006);
        assert_eq!(message(&again), format!("User with id [{id}] not found"));
    }
    assert_error(&prop(&app, Method::PATCH, &format!("/users/id/{id}"), Some(&json!({}))).await, 404, 70006);
    let gone = prop(&app, Method::GET, "/users/sourceId/3002196", None).await;
    assert_error(&gone, 404, 70006);
    assert_eq!(message(&gone), "User with sourceId [3002196] not found");
    let reused = create(&app, json!({"sourceId": "3002196", "source": "ERP", "email": "jan@example.com"})).await;
    assert_ne!(reused, id);
    let v1 = app.get(&format!("/v1/users?filter=numeric_id%20eq%20{id}&include_deleted=true")).await;
    assert_eq!(v1.body["data"][0]["status"], "deleted", "{:?}", v1.body);
}

async fn a_user_is_the_same_through_v1_gigs_and_builton(backend: Backend) {
    let Some(b) = Builton::spawn(backend).await else { return };
    let app = &b.app;
    let id = create(
        app,
        json!({"firstName": "Ann", "lastName": "Lee", "email": "ann@example.com", "title": "Mrs", "company": "Acme",
        "dateOfBirth": "1980-05-06", "phone": "0201234567", "language": "nl", "sourceId": "A1", "source": "crm"}),
    )
    .await;
    let v1 = app.get(&format!("/v1/users?filter=numeric_id%20eq%20{id}")).await;
    let u = &v1.body["data"][0];
    assert_eq!(u["numeric_id"], id);
    assert_eq!((u["salutation"].as_str(), u["company_name"].as_str()), (Some("Mrs"), Some("Acme")));
    assert_eq!((u["birthday"].as_str(), u["locale"].as_str()), (Some("1980-05-06"), Some("nl")));
    assert_eq!(u["external_refs"], json!([{"source": "crm", "source_id": "A1"}]));
    let public = u["id"].as_str().unwrap().to_owned();
    let gigs = app.send(Method::GET, &format!("/gigs/projects/acme/users/{public}"), Some(&app.key), None).await;
    assert_eq!((gigs.status, gigs.body["fullName"].as_str()), (200, Some("Ann Lee")));
    let oid = u["object_id"].as_str().unwrap().to_owned();
    let builton = b.get(&format!("/users/{oid}"), As::Admin).await;
    assert_eq!((builton.status, builton.body["email"].as_str()), (200, Some("ann@example.com")), "{:?}", builton.body);
    // And back: a v1 change shows through Propeller.
    app.patch(&format!("/v1/users/{public}"), &json!({"first_name": "Anna", "locale": "nl-BE"})).await;
    let got = prop(app, Method::GET, &format!("/users/id/{id}"), None).await;
    assert_eq!(
        (got.body["data"]["firstName"].as_str(), got.body["data"]["primaryLanguage"].as_str()),
        (Some("Anna"), Some("NL"))
    );
    // C16: NL keeps nl-BE; EN replaces it.
    prop(app, Method::PATCH, &format!("/users/id/{id}"), Some(&json!({"primaryLanguage": "NL"}))).await;
    assert_eq!(app.get(&format!("/v1/users/{public}")).await.body["locale"], "nl-BE");
    prop(app, Method::PATCH, &format!("/users/id/{id}"), Some(&json!({"primaryLanguage": "EN"}))).await;
    assert_eq!(app.get(&format!("/v1/users/{public}")).await.body["locale"], "en");
}

async fn parent_usergroups_are_organizations(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let by_ref = create(&app, json!({"firstName": "A", "parent": {"source": "ERP", "sourceId": "G1"}})).await;
    let again = create(&app, json!({"firstName": "B", "parent": {"sourceId": "G1", "source": "ERP"}})).await;
    let orgs = app.get("/v1/organizations").await;
    let list = orgs.body["data"].as_array().unwrap();
    assert_eq!(list.len(), 1, "one organization per reference: {:?}", orgs.body);
    let org_id = list[0]["numeric_id"].as_i64().unwrap();
    assert_eq!(list[0]["external_ref"], json!({"source": "ERP", "source_id": "G1"}));
    for id in [by_ref, again] {
        let got = prop(&app, Method::GET, &format!("/users/id/{id}?expands=parent"), None).await;
        assert_eq!(got.body["data"]["parent"], json!({"id": org_id}));
    }
    let org_public = list[0]["id"].as_str().unwrap();
    let members = app.get(&format!("/v1/organizations/{org_public}/members")).await;
    assert_eq!(members.body["data"].as_array().map(Vec::len), Some(2), "{:?}", members.body);
    // By id: an existing organization; an unknown one is refused and nothing is created.
    let by_id = create(&app, json!({"firstName": "C", "parent": {"id": org_id}})).await;
    let got = prop(&app, Method::GET, &format!("/users/id/{by_id}?expands=parent"), None).await;
    assert_eq!(got.body["data"]["parent"], json!({"id": org_id}));
    let unknown = prop(&app, Method::POST, "/users", Some(&json!({"firstName": "D", "parent": {"id": 999999}}))).await;
    assert_error(&unknown, 400, 10017);
    let cleared = prop(&app, Method::PATCH, &format!("/users/id/{by_id}"), Some(&json!({"parent": null}))).await;
    assert_eq!(cleared.status, 200);
    let got = prop(&app, Method::GET, &format!("/users/id/{by_id}?expands=parent"), None).await;
    assert_eq!(got.body["data"]["parent"], Value::Null);
}

async fn a_source_id_held_under_two_sources_needs_the_source(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let erp = create(&app, json!({"firstName": "E", "sourceId": "146991", "source": "ERP"})).await;
    let crm = create(&app, json!({"firstName": "C", "sourceId": "146991", "source": "CRM"})).await;
    for method in [Method::GET, Method::PATCH, Method::DELETE] {
        let body = (method == Method::PATCH).then(|| json!({}));
        let r = prop(&app, method, "/users/sourceId/146991", body.as_ref()).await;
        assert_error(&r, 400, 70005);
        assert_eq!(message(&r), "Multuple users found. Please provide additional filters");
    }
    let r = prop(&app, Method::GET, "/users/sourceId/146991/addresses", None).await;
    assert_error(&r, 400, 70005);
    assert_eq!(prop(&app, Method::GET, "/users/sourceId/146991?source=ERP", None).await.body["data"]["id"], erp);
    assert_eq!(
        prop(&app, Method::GET, "/users/sourceId/146991?source=CRM&language=EN", None).await.body["data"]["id"],
        crm
    );
    assert_error(&prop(&app, Method::GET, "/users/sourceId/146991?source=POS", None).await, 404, 70006);
    // The pair is unique: a second ERP user with it is 70004, whatever the case of the email.
    let dup = prop(&app, Method::POST, "/users", Some(&json!({"sourceId": "146991", "source": "ERP"}))).await;
    assert_error(&dup, 400, 70004);
    assert_eq!(message(&dup), "User already exists");
    create(&app, json!({"email": "x@example.com"})).await;
    assert_error(&prop(&app, Method::POST, "/users", Some(&json!({"email": "X@EXAMPLE.com"}))).await, 400, 70004);
}

async fn bad_bodies_and_lookup_keys_get_the_documented_codes(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    let id = create(&app, json!({"firstName": "Z"})).await;
    let malformed = TestApp::read(
        app.http
            .post(format!("{}/propeller/v2/users", app.base))
            .bearer_auth(&app.key)
            .header("content-type", "application/json")
            .body("{\"firstName\":"),
    )
    .await;
    assert_error(&malformed, 400, 10005);
    let extra = prop(&app, Method::POST, "/users", Some(&json!({"firstName": "A", "x": 1}))).await;
    assert_error(&extra, 400, 10007);
    assert_eq!(message(&extra), "#: extraneous key [x] is not permitted");
    let wrong = prop(&app, Method::PATCH, &format!("/users/id/{id}"), Some(&json!({"firstName": 5}))).await;
    assert_error(&wrong, 400, 10007);
    assert_eq!(message(&wrong), "#/firstName: expected type: String, found: Integer");
    assert_error(&prop(&app, Method::POST, "/users", Some(&json!({"gender": "x"}))).await, 400, 10007);
    assert_error(&prop(&app, Method::POST, "/users", Some(&json!([{"firstName": "A"}]))).await, 400, 10007);
    for body in [
        json!({"email": "nope"}),
        json!({"source": "ERP"}),
        json!({"sourceId": "1"}),
        json!({"dateOfBirth": "31/02/1990"}),
    ] {
        assert_error(&prop(&app, Method::POST, "/users", Some(&body)).await, 400, 10017);
    }
    for path in ["/users/email/x", "/users/me/x", "/users/ID/1"] {
        let r = prop(&app, Method::GET, path, None).await;
        assert_error(&r, 400, 10006);
    }
    assert_eq!(
        message(&prop(&app, Method::GET, "/users/email/x", None).await),
        "Invalid lookup key [email], key must contain one of the following values: [id,sourceId]"
    );
    for path in ["/users/id/abc", "/users/id/99999999999999999999", "/users/id/-1", "/users/id/0", "/users/id/999999"] {
        assert_error(&prop(&app, Method::GET, path, None).await, 404, 70006);
        assert_error(&prop(&app, Method::GET, &format!("{path}/addresses"), None).await, 404, 70007);
    }
    let big = json!({"firstName": "x".repeat(2 * 1024 * 1024)});
    let r = prop(&app, Method::POST, "/users", Some(&big)).await;
    assert_eq!(r.status, 413);
    assert_eq!(r.body["error"]["code"], 10007);
    assert_error(&prop(&app, Method::GET, "/nothing", None).await, 404, 10008);
    assert_eq!(app.get("/v1/users").await.body["data"].as_array().unwrap().len(), 1, "nothing else was created");
}

async fn the_admin_list_pages_with_propellers_envelope(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    for i in 0..5 {
        create(&app, json!({"firstName": format!("U{i}")})).await;
    }
    let page = prop(&app, Method::GET, "/users?page=2&offset=2", None).await;
    assert_eq!(page.status, 200, "{:?}", page.body);
    let expected = json!({"data": [{}], "messages": ["Completed"], "start": 3, "end": 4, "page": 2, "pages": 3,
        "total": 2, "offset": 2, "itemsFound": 5});
    for key in ["messages", "start", "end", "page", "pages", "total", "offset", "itemsFound"] {
        assert_eq!(page.body[key], expected[key], "{key}");
    }
    let names: Vec<&str> =
        page.body["data"].as_array().unwrap().iter().map(|u| u["firstName"].as_str().unwrap()).collect();
    assert_eq!(names, ["U2", "U3"]);
    let first = prop(&app, Method::GET, "/users", None).await;
    assert_eq!((first.body["offset"].as_i64(), first.body["total"].as_i64()), (Some(12), Some(5)));
    let past = prop(&app, Method::GET, "/users?page=9", None).await;
    assert_eq!((past.body["total"].as_i64(), past.body["start"].as_i64()), (Some(0), Some(0)));
    for q in ["page=0", "page=x", "offset=0", "offset=201", "offset=-1", "page=1.5"] {
        assert_error(&prop(&app, Method::GET, &format!("/users?{q}"), None).await, 400, 10015);
    }
}

backend_tests!(
    create_get_patch_delete_follow_the_contract,
    a_user_is_the_same_through_v1_gigs_and_builton,
    parent_usergroups_are_organizations,
    a_source_id_held_under_two_sources_needs_the_source,
    bad_bodies_and_lookup_keys_get_the_documented_codes,
    the_admin_list_pages_with_propellers_envelope,
);
