//! The attributes a filter may name, with their types: which operators and literals each accepts.

use super::Op;

/// Case-insensitive free-text attributes of a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextField {
    AuthSubject,
    Salutation,
    FirstName,
    MiddleName,
    LastName,
    FullName,
    Abbreviation,
    Phone,
    Mobile,
    Locale,
    CompanyName,
    Login,
    DebtorId,
    TaxNumber,
    CocNumber,
    Bio,
    Note,
}

/// Timestamps of a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeField {
    CreatedAt,
    UpdatedAt,
    LastLoginAt,
    DeletedAt,
}

/// Single-valued user attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scalar {
    /// The public `usr_` id; exact.
    Id,
    ObjectId,
    HumanId,
    NumericId,
    /// Compared case-insensitively.
    Email,
    EmailVerified,
    Text(TextField),
    /// `active`, `blocked` or `deleted`; exact.
    Status,
    /// The canonical one-letter code (the filter takes v1's words).
    Gender,
    /// ISO alpha-2, uppercase.
    Country,
    Time(TimeField),
    BirthDate,
    /// `metadata.<key>`; compared as text, case-sensitively.
    Metadata(String),
}

/// Multi-valued user attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collection {
    Tags,
    Roles,
    ExternalRefs,
    Addresses,
}

/// Address attributes usable in filters (case-insensitive text, except `type` and `country`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressField {
    Type,
    Code,
    Company,
    Street,
    PostalCode,
    City,
    Region,
    Country,
}

/// An attribute of one element of a collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElementField {
    /// The element itself (tags, roles); exact.
    Value,
    RefSource,
    RefSourceId,
    Address(AddressField),
}

/// What literal an attribute compares with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Int,
    Bool,
    Time,
    Date,
}

impl Kind {
    pub fn allows(self, op: Op) -> bool {
        match self {
            Kind::Text => true,
            Kind::Int | Kind::Time | Kind::Date => !matches!(op, Op::Co | Op::Sw | Op::Ew),
            Kind::Bool => matches!(op, Op::Eq | Op::Ne),
        }
    }
}

impl Scalar {
    pub fn kind(&self) -> Kind {
        match self {
            Scalar::NumericId => Kind::Int,
            Scalar::EmailVerified => Kind::Bool,
            Scalar::Time(_) => Kind::Time,
            Scalar::BirthDate => Kind::Date,
            _ => Kind::Text,
        }
    }
}

impl ElementField {
    pub fn kind(&self) -> Kind {
        Kind::Text
    }
}

/// What a dotted path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    Scalar(Scalar),
    Collection(Collection),
    /// `collection.sub`: a field of any element.
    Element(Collection, ElementField),
}

fn text(name: &str) -> Option<TextField> {
    Some(match name {
        "auth_subject" => TextField::AuthSubject,
        "salutation" => TextField::Salutation,
        "first_name" => TextField::FirstName,
        "middle_name" => TextField::MiddleName,
        "last_name" => TextField::LastName,
        "full_name" => TextField::FullName,
        "abbreviation" => TextField::Abbreviation,
        "phone" => TextField::Phone,
        "mobile" => TextField::Mobile,
        "locale" => TextField::Locale,
        "company_name" => TextField::CompanyName,
        "login" => TextField::Login,
        "debtor_id" => TextField::DebtorId,
        "tax_number" => TextField::TaxNumber,
        "coc_number" => TextField::CocNumber,
        "bio" => TextField::Bio,
        "note" => TextField::Note,
        _ => return None,
    })
}

fn address_field(name: &str) -> Option<AddressField> {
    Some(match name {
        "type" => AddressField::Type,
        "code" => AddressField::Code,
        "company" => AddressField::Company,
        "street" => AddressField::Street,
        "postal_code" => AddressField::PostalCode,
        "city" => AddressField::City,
        "region" => AddressField::Region,
        "country" => AddressField::Country,
        _ => return None,
    })
}

/// The field of a collection's element named `name` (inside `collection[...]`, or after `collection.`).
pub fn element_field(collection: Collection, name: &str) -> Option<ElementField> {
    let name = name.to_ascii_lowercase();
    match (collection, name.as_str()) {
        (Collection::Tags | Collection::Roles, "value") => Some(ElementField::Value),
        (Collection::ExternalRefs, "source") => Some(ElementField::RefSource),
        (Collection::ExternalRefs, "source_id") => Some(ElementField::RefSourceId),
        (Collection::Addresses, field) => address_field(field).map(ElementField::Address),
        _ => None,
    }
}

/// Resolves an attribute path such as `email`, `metadata.plan`, `tags` or `addresses.city`.
pub fn resolve(path: &str) -> Option<Resolved> {
    if let Some(key) = path.strip_prefix("metadata.") {
        return (!key.is_empty()).then(|| Resolved::Scalar(Scalar::Metadata(key.to_owned())));
    }
    let lower = path.to_ascii_lowercase();
    let collection = |name: &str| match name {
        "tags" => Some(Collection::Tags),
        "roles" => Some(Collection::Roles),
        "external_refs" => Some(Collection::ExternalRefs),
        "addresses" => Some(Collection::Addresses),
        _ => None,
    };
    if let Some((head, sub)) = lower.split_once('.') {
        let c = collection(head)?;
        return element_field(c, sub).map(|f| Resolved::Element(c, f));
    }
    if let Some(c) = collection(&lower) {
        return Some(Resolved::Collection(c));
    }
    let scalar = match lower.as_str() {
        "id" => Scalar::Id,
        "object_id" => Scalar::ObjectId,
        "human_id" => Scalar::HumanId,
        "numeric_id" => Scalar::NumericId,
        "email" => Scalar::Email,
        "email_verified" => Scalar::EmailVerified,
        "status" => Scalar::Status,
        "gender" => Scalar::Gender,
        "country" => Scalar::Country,
        "birthday" => Scalar::BirthDate,
        "created_at" => Scalar::Time(TimeField::CreatedAt),
        "updated_at" => Scalar::Time(TimeField::UpdatedAt),
        "last_login_at" => Scalar::Time(TimeField::LastLoginAt),
        "deleted_at" => Scalar::Time(TimeField::DeletedAt),
        other => Scalar::Text(text(other)?),
    };
    Some(Resolved::Scalar(scalar))
}
