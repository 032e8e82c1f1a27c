//! A partial update of an address (also the body of a create, applied to a blank address).

use crate::address::{AddressFields, AddressKind, AddressType, Geo};
use crate::patch::Patch;
use crate::values::{CountryCode, Gender};

#[derive(Debug, Clone, Default)]
pub struct AddressPatch {
    pub kind: Option<AddressKind>,
    pub address_type: Option<AddressType>,
    pub position: Option<i32>,
    pub code: Patch<String>,
    pub alias: Patch<String>,
    pub company: Patch<String>,
    pub first_name: Patch<String>,
    pub middle_name: Patch<String>,
    pub last_name: Patch<String>,
    pub full_name: Patch<String>,
    pub gender: Patch<Gender>,
    pub street: Patch<String>,
    pub number: Patch<String>,
    pub number_extension: Patch<String>,
    pub building: Patch<String>,
    pub postal_code: Patch<String>,
    pub city: Patch<String>,
    pub region: Patch<String>,
    pub country: Patch<CountryCode>,
    pub country_name: Patch<String>,
    pub email: Patch<String>,
    pub phone: Patch<String>,
    pub mobile: Patch<String>,
    pub fax: Patch<String>,
    pub url: Patch<String>,
    pub notes: Patch<String>,
    pub icp: Option<bool>,
    pub is_default: Option<bool>,
    pub active: Option<bool>,
    pub geo: Patch<Geo>,
    /// What a client says located the address (BuiltOn `service`, `service_address_id`, `raw`), kept as
    /// given; applied after `geo`, so a client may send a position together with its source.
    pub geocoder: Patch<String>,
    pub geocoder_place_id: Patch<String>,
    pub geocoder_raw: Patch<serde_json::Value>,
}

impl AddressPatch {
    pub fn apply(self, a: &mut AddressFields) {
        if let Some(k) = self.kind {
            a.kind = k;
        }
        if let Some(t) = self.address_type {
            a.address_type = t;
        }
        if let Some(p) = self.position {
            a.position = p;
        }
        self.code.apply_to(&mut a.code);
        self.alias.apply_to(&mut a.alias);
        self.company.apply_to(&mut a.company);
        self.first_name.apply_to(&mut a.first_name);
        self.middle_name.apply_to(&mut a.middle_name);
        self.last_name.apply_to(&mut a.last_name);
        self.full_name.apply_to(&mut a.full_name);
        self.gender.apply_to(&mut a.gender);
        self.street.apply_to(&mut a.street);
        self.number.apply_to(&mut a.number);
        self.number_extension.apply_to(&mut a.number_extension);
        self.building.apply_to(&mut a.building);
        self.postal_code.apply_to(&mut a.postal_code);
        self.city.apply_to(&mut a.city);
        self.region.apply_to(&mut a.region);
        self.country.apply_to(&mut a.country);
        self.country_name.apply_to(&mut a.country_name);
        self.email.apply_to(&mut a.email);
        self.phone.apply_to(&mut a.phone);
        self.mobile.apply_to(&mut a.mobile);
        self.fax.apply_to(&mut a.fax);
        self.url.apply_to(&mut a.url);
        self.notes.apply_to(&mut a.notes);
        if let Some(v) = self.icp {
            a.icp = v;
        }
        if let Some(v) = self.is_default {
            a.is_default = v;
        }
        if let Some(v) = self.active {
            a.active = v;
        }
        // A new position clears geocoder output that described the old one.
        if !self.geo.is_keep() {
            a.geocoder = None;
            a.geocoder_place_id = None;
            a.geocoder_raw = None;
        }
        self.geo.apply_to(&mut a.geo);
        self.geocoder.apply_to(&mut a.geocoder);
        self.geocoder_place_id.apply_to(&mut a.geocoder_place_id);
        self.geocoder_raw.apply_to(&mut a.geocoder_raw);
    }
}
