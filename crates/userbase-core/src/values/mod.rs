//! Validated value types of the canonical model: parse, don't validate. Each `parse` returns a type with a
//! private field, so a value of that type is valid wherever it travels.

mod country;
pub mod email;
mod external_ref;
mod locale;
mod metadata;
mod tags;
mod text;

pub use country::CountryCode;
pub use email::Email;
pub use external_ref::{ExternalRef, GroupRef};
pub use locale::Locale;
pub use metadata::{Metadata, MetadataLimits, MetadataPatch};
pub use tags::{parse_labels, LabelKind};
pub use text::{parse_birth_date, parse_text, Gender, TextLimit};
