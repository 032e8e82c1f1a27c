//! The v1 address body (create and patch share it) and its conversion into a domain `AddressPatch`.

use serde::Deserialize;
use userbase_core::address::{AddressType, Geo};
use userbase_core::error::{FieldError, FieldErrors};
use userbase_core::patch::Patch;
use userbase_core::services::AddressPatch;
use userbase_core::values::{parse_text, CountryCode, Email, TextLimit};

use super::user_input::{field, parse_gender, short_text};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GeoInput {
    lat: f64,
    lng: f64,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    #[serde(default, rename = "type")]
    address_type: Option<String>,
    #[serde(default)]
    is_default: Option<bool>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    code: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    alias: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    company: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    first_name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    middle_name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    last_name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    full_name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    gender: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    street: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    number: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    number_extension: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    building: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    postal_code: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    city: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    region: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    country: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    country_name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    email: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    phone: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    mobile: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    fax: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    url: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    notes: Patch<String>,
    #[serde(default)]
    icp: Option<bool>,
    #[serde(default)]
    active: Option<bool>,
    #[serde(default)]
    #[schema(value_type = Option<GeoInput>)]
    geo: Patch<GeoInput>,
}

impl AddressInput {
    pub fn into_patch(self) -> Result<AddressPatch, Vec<FieldError>> {
        let mut e = FieldErrors::new();
        let address_type = self.address_type.and_then(|t| e.take(AddressType::parse("type", &t)));
        let patch = AddressPatch {
            kind: None,
            address_type,
            position: None,
            code: short_text(&mut e, "code", self.code),
            alias: short_text(&mut e, "alias", self.alias),
            company: short_text(&mut e, "company", self.company),
            first_name: short_text(&mut e, "first_name", self.first_name),
            middle_name: short_text(&mut e, "middle_name", self.middle_name),
            last_name: short_text(&mut e, "last_name", self.last_name),
            full_name: short_text(&mut e, "full_name", self.full_name),
            gender: field(&mut e, self.gender, parse_gender),
            street: short_text(&mut e, "street", self.street),
            number: short_text(&mut e, "number", self.number),
            number_extension: short_text(&mut e, "number_extension", self.number_extension),
            building: short_text(&mut e, "building", self.building),
            postal_code: short_text(&mut e, "postal_code", self.postal_code),
            city: short_text(&mut e, "city", self.city),
            region: short_text(&mut e, "region", self.region),
            country: field(&mut e, self.country, |c| CountryCode::parse("country", &c)),
            country_name: short_text(&mut e, "country_name", self.country_name),
            email: field(&mut e, self.email, |s| Email::parse("email", &s).map(|m| m.as_str().to_owned())),
            phone: short_text(&mut e, "phone", self.phone),
            mobile: short_text(&mut e, "mobile", self.mobile),
            fax: short_text(&mut e, "fax", self.fax),
            url: short_text(&mut e, "url", self.url),
            notes: field(&mut e, self.notes, |s| parse_text("notes", &s, TextLimit::Long)),
            icp: self.icp,
            is_default: self.is_default,
            active: self.active,
            geo: field(&mut e, self.geo, |g| Geo::parse("geo", g.lat, g.lng)),
            // Geocoder output is not writable through v1 (a new position clears it).
            geocoder: Patch::Keep,
            geocoder_place_id: Patch::Keep,
            geocoder_raw: Patch::Keep,
        };
        e.finish()?;
        Ok(patch)
    }
}
