//! BuiltOn request bodies (000.3, 000.4) and their translation into core patches: the user (create and
//! update: only the keys sent change; `notes` is an alias of `note`; any other unknown key is
//! `FieldDoesNotExist`) and the embedded address.
//!
//! Where BuiltOn says `""` (its default for every text field), the canonical user has no value: `""` clears.

use serde::Deserialize;
use userbase_core::address::{AddressKind, AddressType, Geo};
use userbase_core::error::{FieldError, FieldErrors};
use userbase_core::patch::Patch;
use userbase_core::services::{AddressPatch, UserPatch};
use userbase_core::values::{parse_labels, parse_text, CountryCode, Email, LabelKind, TextLimit};

/// A user, as created (`POST /users`) or updated (`PUT /users/{id}`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserBody {
    #[serde(default)]
    first_name: Patch<String>,
    #[serde(default)]
    last_name: Patch<String>,
    #[serde(default)]
    salutation: Patch<String>,
    #[serde(default)]
    email: Patch<String>,
    #[serde(default)]
    mobile_phone_number: Patch<String>,
    #[serde(default)]
    bio: Patch<String>,
    #[serde(default, alias = "notes")]
    note: Patch<String>,
    #[serde(default)]
    tags: Patch<Vec<String>>,
    #[serde(default)]
    image: Patch<String>,
    #[serde(default)]
    default_payment_method: Patch<String>,
    #[serde(default)]
    addresses: Patch<Vec<AddressBody>>,
    #[serde(default)]
    billing_address: Patch<AddressBody>,
}

/// `{"addresses": [...]}`, the wrapped body of `PUT .../addresses`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressesBody {
    pub addresses: Vec<AddressBody>,
}

/// An embedded address (000.3): every field optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressBody {
    street_name: Option<String>,
    building: Option<String>,
    zip_code: Option<String>,
    city: Option<String>,
    state: Option<String>,
    country: Option<String>,
    geo: Option<[f64; 2]>,
    raw: Option<serde_json::Value>,
    alias: Option<String>,
    organization_name: Option<String>,
    service: Option<String>,
    service_address_id: Option<String>,
    full_name: Option<String>,
    email: Option<String>,
}

/// What a user body asks of the user's addresses, besides the user's own fields.
#[derive(Debug, Default)]
pub struct AddressChanges {
    /// A new `addresses` list (`null` is the empty list).
    pub list: Option<Vec<AddressPatch>>,
    /// A new `billing_address` (`Some(None)`: none any more).
    pub billing: Option<Option<AddressPatch>>,
}

impl AddressChanges {
    pub fn is_empty(&self) -> bool {
        self.list.is_none() && self.billing.is_none()
    }
}

/// A text field: `""` (BuiltOn's "nothing") and `null` clear, anything else is checked.
fn text(e: &mut FieldErrors, field: &str, value: Patch<String>, limit: TextLimit) -> Patch<String> {
    match value {
        Patch::Set(s) if s.is_empty() => Patch::Clear,
        Patch::Set(s) => e.take(parse_text(field, &s, limit)).map_or(Patch::Keep, Patch::Set),
        other => other,
    }
}

fn email(e: &mut FieldErrors, value: Patch<String>) -> Patch<Email> {
    match value {
        Patch::Set(s) if s.is_empty() => Patch::Clear,
        Patch::Set(s) => e.take(Email::parse("email", &s)).map_or(Patch::Keep, Patch::Set),
        Patch::Clear => Patch::Clear,
        Patch::Keep => Patch::Keep,
    }
}

impl UserBody {
    /// The user patch and the address changes. `creating` refuses `default_payment_method`, which BuiltOn
    /// takes on update only.
    /// Whether the body sets `image`, which only a service account may change on an update (000.4).
    pub fn sets_image(&self) -> bool {
        !matches!(self.image, Patch::Keep)
    }

    pub fn into_patch(self, creating: bool) -> Result<(UserPatch, AddressChanges), Vec<FieldError>> {
        let mut e = FieldErrors::new();
        if creating && !self.default_payment_method.is_keep() {
            e.push(FieldError::new("default_payment_method", "not_on_create", "Set it with an update."));
        }
        let tags = match self.tags {
            Patch::Keep => None,
            Patch::Clear => Some(Vec::new()),
            Patch::Set(tags) => e.take(parse_labels(LabelKind::Tag, tags)),
        };
        let patch = UserPatch {
            first_name: text(&mut e, "first_name", self.first_name, TextLimit::Short),
            last_name: text(&mut e, "last_name", self.last_name, TextLimit::Short),
            salutation: text(&mut e, "salutation", self.salutation, TextLimit::Short),
            email: email(&mut e, self.email),
            mobile: text(&mut e, "mobile_phone_number", self.mobile_phone_number, TextLimit::Short),
            bio: text(&mut e, "bio", self.bio, TextLimit::Long),
            note: text(&mut e, "note", self.note, TextLimit::Long),
            image_ref: text(&mut e, "image", self.image, TextLimit::Short),
            default_payment_method_ref: text(
                &mut e,
                "default_payment_method",
                self.default_payment_method,
                TextLimit::Short,
            ),
            tags,
            ..UserPatch::default()
        };
        let list = match self.addresses {
            Patch::Keep => None,
            Patch::Clear => Some(Vec::new()),
            Patch::Set(list) => Some(address_list(&mut e, "addresses", list)),
        };
        let billing = match self.billing_address {
            Patch::Keep => None,
            Patch::Clear => Some(None),
            Patch::Set(a) => Some(Some(a.into_patch(&mut e, "billing_address", AddressKind::Billing))),
        };
        e.finish()?;
        Ok((patch, AddressChanges { list, billing }))
    }
}

/// The patches of an `addresses` list, errors named `addresses[i].field`.
pub fn address_list(e: &mut FieldErrors, field: &str, list: Vec<AddressBody>) -> Vec<AddressPatch> {
    list.into_iter().enumerate().map(|(i, a)| a.into_patch(e, &format!("{field}[{i}]"), AddressKind::List)).collect()
}

/// Splits `Hausmanns gate 29` into street `Hausmanns gate` and number `29` (and `12B` into `12` and `B`),
/// but only when joining the parts gives the text back; otherwise it all stays in the street.
fn split_street(street_name: &str) -> (String, Option<String>, Option<String>) {
    let whole = || (street_name.to_owned(), None, None);
    let Some((street, last)) = street_name.rsplit_once(' ') else { return whole() };
    let digits = last.bytes().take_while(u8::is_ascii_digit).count();
    let (number, extension) = last.split_at(digits);
    let extension_ok = extension.len() <= 3 && extension.bytes().all(|b| b.is_ascii_alphabetic());
    if street.trim().is_empty() || street != street.trim_end() || number.is_empty() || !extension_ok {
        return whole();
    }
    (street.to_owned(), Some(number.to_owned()), (!extension.is_empty()).then(|| extension.to_owned()))
}

impl AddressBody {
    fn into_patch(self, e: &mut FieldErrors, at: &str, kind: AddressKind) -> AddressPatch {
        let mut text = |name: &str, value: Option<String>| -> Patch<String> {
            match value {
                Some(s) if !s.is_empty() => {
                    e.take(parse_text(&format!("{at}.{name}"), &s, TextLimit::Short)).map_or(Patch::Keep, Patch::Set)
                }
                _ => Patch::Keep,
            }
        };
        let mut patch = AddressPatch {
            kind: Some(kind),
            address_type: Some(match kind {
                AddressKind::List => AddressType::Delivery,
                AddressKind::Billing => AddressType::Invoice,
            }),
            is_default: Some(kind == AddressKind::Billing),
            alias: text("alias", self.alias),
            company: text("organization_name", self.organization_name),
            full_name: text("full_name", self.full_name),
            building: text("building", self.building),
            postal_code: text("zip_code", self.zip_code),
            city: text("city", self.city),
            region: text("state", self.state),
            email: text("email", self.email),
            geocoder: text("service", self.service),
            geocoder_place_id: text("service_address_id", self.service_address_id),
            ..AddressPatch::default()
        };
        if let Patch::Set(street_name) = text("street_name", self.street_name) {
            let (street, number, extension) = split_street(&street_name);
            patch.street = Patch::Set(street);
            patch.number = number.map_or(Patch::Keep, Patch::Set);
            patch.number_extension = extension.map_or(Patch::Keep, Patch::Set);
        }
        if let Patch::Set(country) = text("country", self.country) {
            // A name (BuiltOn's form) or a code; the text is kept as given for display.
            patch.country = CountryCode::from_name(&country)
                .or_else(|| CountryCode::parse("country", &country).ok())
                .map_or(Patch::Keep, Patch::Set);
            patch.country_name = Patch::Set(country);
        }
        if let Some([lat, lng]) = self.geo {
            patch.geo = e.take(Geo::parse(&format!("{at}.geo"), lat, lng)).map_or(Patch::Keep, Patch::Set);
        }
        patch.geocoder_raw = self.raw.map_or(Patch::Keep, Patch::Set);
        patch
    }
}

#[cfg(test)]
mod tests {
    use super::split_street;

    #[test]
    fn house_numbers_are_split_off_only_when_the_text_comes_back_whole() {
        let s = |t: &str| split_street(t);
        assert_eq!(s("Hausmanns gate 29"), ("Hausmanns gate".into(), Some("29".into()), None));
        assert_eq!(s("Main St 12B"), ("Main St".into(), Some("12".into()), Some("B".into())));
        for whole in ["Karl Johans gate", "29", "Gate 12-14", "Gate  12", "Gate 12 B"] {
            assert_eq!(s(whole), (whole.into(), None, None), "{whole}");
        }
    }
}
