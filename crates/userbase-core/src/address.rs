//! The canonical address (canonical-model.md, U4): a sub-resource of a user with its own ids, rendered as
//! a sub-resource by v1, Gigs and Propeller and as an embedded list plus `billing_address` by BuiltOn.

use time::OffsetDateTime;

use crate::error::FieldError;
use crate::ids::{AddressId, ProjectId};
use crate::values::{CountryCode, Gender};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressType {
    Delivery,
    Invoice,
    Home,
}

impl AddressType {
    pub fn as_str(self) -> &'static str {
        match self {
            AddressType::Delivery => "delivery",
            AddressType::Invoice => "invoice",
            AddressType::Home => "home",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        match s {
            "delivery" => Ok(AddressType::Delivery),
            "invoice" => Ok(AddressType::Invoice),
            "home" => Ok(AddressType::Home),
            _ => Err(FieldError::new(field, "invalid_address_type", "Address type is delivery, invoice or home.")),
        }
    }
}

/// Where BuiltOn shows the address: in `addresses[]` or as `billing_address`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressKind {
    List,
    Billing,
}

impl AddressKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AddressKind::List => "list",
            AddressKind::Billing => "billing",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "list" => Some(AddressKind::List),
            "billing" => Some(AddressKind::Billing),
            _ => None,
        }
    }
}

/// A point on Earth, in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geo {
    lat: f64,
    lng: f64,
}

impl Geo {
    pub fn parse(field: &str, lat: f64, lng: f64) -> Result<Self, FieldError> {
        if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lng) {
            Ok(Self { lat, lng })
        } else {
            Err(FieldError::new(field, "invalid_geo", "Latitude is -90 to 90 and longitude -180 to 180 degrees."))
        }
    }

    pub fn lat(&self) -> f64 {
        self.lat
    }

    pub fn lng(&self) -> f64 {
        self.lng
    }
}

/// Every writable field of an address.
#[derive(Debug, Clone, PartialEq)]
pub struct AddressFields {
    pub kind: AddressKind,
    pub address_type: AddressType,
    pub position: i32,
    pub code: Option<String>,
    pub alias: Option<String>,
    pub company: Option<String>,
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
    pub full_name: Option<String>,
    pub gender: Option<Gender>,
    pub street: Option<String>,
    pub number: Option<String>,
    pub number_extension: Option<String>,
    pub building: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub country: Option<CountryCode>,
    pub country_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub fax: Option<String>,
    pub url: Option<String>,
    pub notes: Option<String>,
    pub icp: bool,
    pub is_default: bool,
    pub active: bool,
    pub geo: Option<Geo>,
    pub geocoder: Option<String>,
    pub geocoder_place_id: Option<String>,
    pub geocoder_raw: Option<serde_json::Value>,
}

impl AddressFields {
    /// A blank address of a type: in the list, active, not default.
    pub fn blank(address_type: AddressType) -> Self {
        Self {
            kind: AddressKind::List,
            address_type,
            position: 0,
            code: None,
            alias: None,
            company: None,
            first_name: None,
            middle_name: None,
            last_name: None,
            full_name: None,
            gender: None,
            street: None,
            number: None,
            number_extension: None,
            building: None,
            postal_code: None,
            city: None,
            region: None,
            country: None,
            country_name: None,
            email: None,
            phone: None,
            mobile: None,
            fax: None,
            url: None,
            notes: None,
            icp: false,
            is_default: false,
            active: true,
            geo: None,
            geocoder: None,
            geocoder_place_id: None,
            geocoder_raw: None,
        }
    }
}

/// A stored address of a user.
#[derive(Debug, Clone, PartialEq)]
pub struct Address {
    pub numeric_id: i64,
    pub public_id: AddressId,
    pub project_id: ProjectId,
    /// The owning user's integer id.
    pub user_id: i64,
    pub fields: AddressFields,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub version: i64,
}

/// How a caller names one address of a user.
#[derive(Debug, Clone)]
pub enum AddressKey {
    Public(AddressId),
    Numeric(i64),
}
