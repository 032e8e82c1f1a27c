//! Each record collection as its own documented resource: `orders`, `payment_methods` and `subscriptions`
//! get their own paths, operations (`list_orders`, `create_order`, ...) and schemas, because their status
//! sets differ and a generated SDK should have a typed method for each. The handlers only name their
//! collection and call the shared ones in `records`.

/// The documented operations of one record collection. The schema types named here are documentation only;
/// the wire format is `RecordView`/`RecordInput` for every collection.
macro_rules! record_collection {
    (
        $module:ident, $kind:expr, tag = $tag:literal,
        collection = $collection_path:literal, item = $item_path:literal,
        list = $list:ident, create = $create:ident, get = $get:ident, update = $update:ident, delete = $delete:ident,
        view = $view:ident, input = $input:ident, page = $page:ident,
        summaries = [$list_s:literal, $create_s:literal, $get_s:literal, $update_s:literal, $delete_s:literal]
    ) => {
        pub mod $module {
            use axum::extract::{Path, State};
            use axum::http::HeaderMap;
            use axum::response::Response;
            use userbase_core::record::RecordKind;

            use super::super::{RecordInput, RecordQuery};
            use super::schemas::{$input, $page, $view};
            use crate::v1::extract::{Admin, V1Json, V1Query};
            use crate::v1::Problem;
            use crate::AppState;

            const KIND: RecordKind = $kind;

            #[utoipa::path(get, path = $collection_path, tag = $tag, summary = $list_s,
                params(("id" = String, Path, description = "The user's id (`usr_...`)"), RecordQuery),
                responses((status = 200, description = "A page of records", body = $page)))]
            pub async fn $list(
                State(state): State<AppState>,
                admin: Admin,
                Path(user_id): Path<String>,
                V1Query(q): V1Query<RecordQuery>,
            ) -> Result<Response, Problem> {
                super::super::list(state, admin, KIND, user_id, q).await
            }

            #[utoipa::path(post, path = $collection_path, tag = $tag, summary = $create_s,
                params(("id" = String, Path, description = "The user's id (`usr_...`)")), request_body = $input,
                responses((status = 201, description = "Created", body = $view,
                           headers(("ETag" = String, description = "The version, for If-Match")))))]
            pub async fn $create(
                State(state): State<AppState>,
                admin: Admin,
                Path(user_id): Path<String>,
                V1Json(input): V1Json<RecordInput>,
            ) -> Result<Response, Problem> {
                super::super::create(state, admin, KIND, user_id, input).await
            }

            #[utoipa::path(get, path = $item_path, tag = $tag, summary = $get_s,
                params(("id" = String, Path, description = "The user's id (`usr_...`)"),
                       ("record_id" = String, Path, description = "The record's id")),
                responses((status = 200, description = "The record", body = $view,
                           headers(("ETag" = String, description = "The version, for If-Match")))))]
            pub async fn $get(
                State(state): State<AppState>,
                admin: Admin,
                Path(ids): Path<(String, String)>,
            ) -> Result<Response, Problem> {
                super::super::get(state, admin, KIND, ids).await
            }

            #[utoipa::path(patch, path = $item_path, tag = $tag, summary = $update_s,
                description = "Absent fields stay; `details` keys are merged, a `null` value removes one.",
                params(("id" = String, Path, description = "The user's id (`usr_...`)"),
                       ("record_id" = String, Path, description = "The record's id"),
                       ("If-Match" = Option<String>, Header, description = "The ETag of the version you read; 412 if it is no longer current")),
                request_body = $input,
                responses((status = 200, description = "The updated record", body = $view,
                           headers(("ETag" = String, description = "The version, for If-Match")))))]
            pub async fn $update(
                State(state): State<AppState>,
                admin: Admin,
                Path(ids): Path<(String, String)>,
                headers: HeaderMap,
                V1Json(input): V1Json<RecordInput>,
            ) -> Result<Response, Problem> {
                super::super::update(state, admin, KIND, ids, headers, input).await
            }

            #[utoipa::path(delete, path = $item_path, tag = $tag, summary = $delete_s,
                description = "Soft: listed again with `include_deleted`.",
                params(("id" = String, Path, description = "The user's id (`usr_...`)"),
                       ("record_id" = String, Path, description = "The record's id"),
                       ("If-Match" = Option<String>, Header, description = "The ETag of the version you read; 412 if it is no longer current")),
                responses((status = 200, description = "The deleted record", body = $view,
                           headers(("ETag" = String, description = "The version, for If-Match")))))]
            pub async fn $delete(
                State(state): State<AppState>,
                admin: Admin,
                Path(ids): Path<(String, String)>,
                headers: HeaderMap,
            ) -> Result<Response, Problem> {
                super::super::delete(state, admin, KIND, ids, headers).await
            }
        }
    };
}

record_collection!(
    orders,
    RecordKind::Order,
    tag = "records",
    collection = "/users/{id}/orders",
    item = "/users/{id}/orders/{record_id}",
    list = list_orders,
    create = create_order,
    get = get_order,
    update = update_order,
    delete = delete_order,
    view = Order,
    input = OrderInput,
    page = OrderList,
    summaries = [
        "List a user's orders.",
        "Add an order to a user.",
        "Get an order of a user (deleted ones too).",
        "Update an order of a user.",
        "Delete an order of a user."
    ]
);

record_collection!(
    payment_methods,
    RecordKind::PaymentMethod,
    tag = "records",
    collection = "/users/{id}/payment_methods",
    item = "/users/{id}/payment_methods/{record_id}",
    list = list_payment_methods,
    create = create_payment_method,
    get = get_payment_method,
    update = update_payment_method,
    delete = delete_payment_method,
    view = PaymentMethod,
    input = PaymentMethodInput,
    page = PaymentMethodList,
    summaries = [
        "List a user's payment methods.",
        "Add a payment method to a user.",
        "Get a payment method of a user (deleted ones too).",
        "Update a payment method of a user.",
        "Delete a payment method of a user."
    ]
);

record_collection!(
    subscriptions,
    RecordKind::Subscription,
    tag = "records",
    collection = "/users/{id}/subscriptions",
    item = "/users/{id}/subscriptions/{record_id}",
    list = list_subscriptions,
    create = create_subscription,
    get = get_subscription,
    update = update_subscription,
    delete = delete_subscription,
    view = Subscription,
    input = SubscriptionInput,
    page = SubscriptionList,
    summaries = [
        "List a user's subscriptions.",
        "Add a subscription to a user.",
        "Get a subscription of a user (deleted ones too).",
        "Update a subscription of a user.",
        "Delete a subscription of a user."
    ]
);

/// The documented shapes of each collection: the same wire fields, each with its own status set.
#[allow(dead_code)] // documentation only
mod schemas {
    use time::OffsetDateTime;
    use utoipa::ToSchema;

    /// An order's status.
    #[derive(ToSchema)]
    #[schema(rename_all = "UPPERCASE")]
    pub enum OrderStatus {
        Created,
        Processing,
        Declined,
        Failed,
        Success,
        Cancelled,
    }

    /// An order's delivery status.
    #[derive(ToSchema)]
    #[schema(rename_all = "SCREAMING_SNAKE_CASE")]
    pub enum DeliveryStatus {
        Created,
        Pending,
        Processing,
        Assigning,
        PickupStarted,
        PickupArrived,
        DropoffStarted,
        DropoffArrived,
        Cancelled,
        Done,
        Unknown,
        Queued,
    }

    /// A payment method's status.
    #[derive(ToSchema)]
    #[schema(rename_all = "UPPERCASE")]
    pub enum PaymentMethodStatus {
        Active,
        Inactive,
        Expired,
    }

    /// A subscription's status.
    #[derive(ToSchema)]
    #[schema(rename_all = "UPPERCASE")]
    pub enum SubscriptionStatus {
        Created,
        Active,
        Paused,
        Aborted,
        Done,
        Unpaid,
    }

    /// The schemas of one collection: the record, its input and its page (orders also have a delivery status).
    macro_rules! record_schemas {
        ($view:ident, $input:ident, $page:ident, $status:ty, $object:literal, $about:literal
         $(, delivery = $delivery:ty)?) => {
            #[doc = $about]
            #[derive(ToSchema)]
            pub struct $view {
                #[doc = concat!("`", $object, "`.")]
                object: String,
                id: String,
                /// The owning user's id.
                user_id: String,
                status: $status,
                $(delivery_status: Option<$delivery>,)?
                /// Free-form JSON details (amounts, items, card brand, plan, ...).
                #[schema(value_type = Object)]
                details: serde_json::Value,
                created_at: OffsetDateTime,
                updated_at: OffsetDateTime,
                deleted_at: Option<OffsetDateTime>,
            }

            #[doc = concat!("The fields of a ", $object, " to create or change.")]
            #[derive(ToSchema)]
            pub struct $input {
                /// Absent on create: the collection's initial status.
                status: Option<$status>,
                $(
                /// `null` clears it.
                delivery_status: Option<$delivery>,
                )?
                /// Free-form JSON details; on update, keys are merged and a `null` value removes one.
                #[schema(value_type = Option<Object>)]
                details: Option<serde_json::Value>,
            }

            #[doc = concat!("A page of ", $object, " records.")]
            #[derive(ToSchema)]
            pub struct $page {
                object: String,
                data: Vec<$view>,
                /// How many records match.
                total: u64,
                has_more: bool,
            }
        };
    }

    record_schemas!(
        Order,
        OrderInput,
        OrderList,
        OrderStatus,
        "order",
        "An order of a user.",
        delivery = DeliveryStatus
    );
    record_schemas!(
        PaymentMethod,
        PaymentMethodInput,
        PaymentMethodList,
        PaymentMethodStatus,
        "payment_method",
        "A payment method of a user."
    );
    record_schemas!(
        Subscription,
        SubscriptionInput,
        SubscriptionList,
        SubscriptionStatus,
        "subscription",
        "A subscription of a user."
    );
}
