//! Records a user owns: orders, payment methods and subscriptions. Real records with a status (orders
//! also a delivery status), free-form details, timestamps and soft deletion; BuiltOn lists them per user.

use time::OffsetDateTime;

use crate::error::FieldError;
use crate::ids::{random_base62, ProjectId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    Order,
    PaymentMethod,
    Subscription,
}

/// BuiltOn's (KVASS) status enums; a record's status must be one of its kind's.
const ORDER_STATUSES: &[&str] = &["CREATED", "PROCESSING", "DECLINED", "FAILED", "SUCCESS", "CANCELLED"];
const DELIVERY_STATUSES: &[&str] = &[
    "CREATED",
    "PENDING",
    "PROCESSING",
    "ASSIGNING",
    "PICKUP_STARTED",
    "PICKUP_ARRIVED",
    "DROPOFF_STARTED",
    "DROPOFF_ARRIVED",
    "CANCELLED",
    "DONE",
    "UNKNOWN",
    "QUEUED",
];
const PAYMENT_METHOD_STATUSES: &[&str] = &["ACTIVE", "INACTIVE", "EXPIRED"];
const SUBSCRIPTION_STATUSES: &[&str] = &["CREATED", "ACTIVE", "PAUSED", "ABORTED", "DONE", "UNPAID"];

impl RecordKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Order => "order",
            RecordKind::PaymentMethod => "payment_method",
            RecordKind::Subscription => "subscription",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "order" => Some(RecordKind::Order),
            "payment_method" => Some(RecordKind::PaymentMethod),
            "subscription" => Some(RecordKind::Subscription),
            _ => None,
        }
    }

    /// The id prefix of the kind's records.
    pub fn prefix(self) -> &'static str {
        match self {
            RecordKind::Order => "ord_",
            RecordKind::PaymentMethod => "pm_",
            RecordKind::Subscription => "sub_",
        }
    }

    /// The status a new record gets.
    pub fn default_status(self) -> &'static str {
        match self {
            RecordKind::Order => "CREATED",
            RecordKind::PaymentMethod => "ACTIVE",
            RecordKind::Subscription => "CREATED",
        }
    }

    pub fn statuses(self) -> &'static [&'static str] {
        match self {
            RecordKind::Order => ORDER_STATUSES,
            RecordKind::PaymentMethod => PAYMENT_METHOD_STATUSES,
            RecordKind::Subscription => SUBSCRIPTION_STATUSES,
        }
    }

    pub fn check_status(self, field: &str, status: &str) -> Result<(), FieldError> {
        if self.statuses().contains(&status) {
            Ok(())
        } else {
            Err(FieldError::new(field, "invalid_status", format!("One of {}.", self.statuses().join(", "))))
        }
    }

    /// The delivery statuses of orders.
    pub fn delivery_statuses() -> &'static [&'static str] {
        DELIVERY_STATUSES
    }

    /// Delivery statuses exist for orders only.
    pub fn check_delivery_status(self, status: &str) -> Result<(), FieldError> {
        if self == RecordKind::Order && DELIVERY_STATUSES.contains(&status) {
            Ok(())
        } else if self != RecordKind::Order {
            Err(FieldError::new("delivery_status", "not_allowed", "Only orders have a delivery status."))
        } else {
            Err(FieldError::new(
                "delivery_status",
                "invalid_status",
                format!("One of {}.", DELIVERY_STATUSES.join(", ")),
            ))
        }
    }

    /// A fresh public id: the kind's prefix and 24 random base62 characters.
    pub fn new_public_id(self) -> String {
        format!("{}{}", self.prefix(), random_base62(24))
    }

    /// Whether `id` has this kind's shape.
    pub fn owns_id(self, id: &str) -> bool {
        id.strip_prefix(self.prefix()).is_some_and(|b| b.len() == 24 && b.bytes().all(|c| c.is_ascii_alphanumeric()))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    pub numeric_id: i64,
    pub public_id: String,
    pub project_id: ProjectId,
    pub user_id: i64,
    pub kind: RecordKind,
    pub status: String,
    pub delivery_status: Option<String>,
    /// Kind-specific fields (amounts, currency, plan, card brand...), as given.
    pub details: serde_json::Map<String, serde_json::Value>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub deleted_at: Option<OffsetDateTime>,
    pub version: i64,
}

/// Which timestamp a date window applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordDateField {
    Created,
    Updated,
}

/// The filters BuiltOn's list routes document, in canonical form.
#[derive(Debug, Clone, Default)]
pub struct RecordFilter {
    pub statuses: Vec<String>,
    pub delivery_statuses: Vec<String>,
    /// Inclusive bounds on `date_field`.
    pub from: Option<OffsetDateTime>,
    pub to: Option<OffsetDateTime>,
    pub date_field: Option<RecordDateField>,
    pub include_deleted: bool,
}
