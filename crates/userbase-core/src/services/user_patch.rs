//! A partial update of a user: absent fields stay, `null` clears, metadata merges key by key, lists
//! (tags, roles, external refs) are replaced whole.

use time::Date;

use crate::error::{DomainError, FieldError};
use crate::patch::Patch;
use crate::user::{Profile, UserStatus};
use crate::values::{CountryCode, Email, ExternalRef, Gender, GroupRef, Locale, MetadataLimits, MetadataPatch};

/// A change to the external ref of one source (BoltonSea's `other_id` is the ref of source `other_id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceRefChange {
    /// Replaces the ref of this ref's source (or adds it).
    Set(ExternalRef),
    /// Removes the ref of this source, if there is one.
    Clear(String),
}

#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub auth_subject: Patch<String>,
    pub email: Patch<Email>,
    /// `None` keeps the flag, except that a changed email resets it to `false`.
    pub email_verified: Option<bool>,
    pub salutation: Patch<String>,
    pub first_name: Patch<String>,
    pub middle_name: Patch<String>,
    pub last_name: Patch<String>,
    pub full_name: Patch<String>,
    pub abbreviation: Patch<String>,
    pub birth_date: Patch<Date>,
    pub gender: Patch<Gender>,
    pub phone: Patch<String>,
    pub mobile: Patch<String>,
    pub locale: Patch<Locale>,
    pub country: Patch<CountryCode>,
    pub company_name: Patch<String>,
    pub login: Patch<String>,
    pub debtor_id: Patch<String>,
    pub tax_number: Patch<String>,
    pub coc_number: Patch<String>,
    pub pricelist_amount: Patch<String>,
    pub pricelist_percentage: Patch<String>,
    pub parent_group: Patch<GroupRef>,
    pub external_refs: Option<Vec<ExternalRef>>,
    /// Sets or removes the one external ref of a source, leaving the refs of other sources alone (applied
    /// after `external_refs`).
    pub source_ref: Option<SourceRefChange>,
    pub metadata: MetadataPatch,
    pub tags: Option<Vec<String>>,
    pub bio: Patch<String>,
    pub note: Patch<String>,
    pub image_ref: Patch<String>,
    pub avatar: Patch<String>,
    pub default_payment_method_ref: Patch<String>,
    pub roles: Option<Vec<String>>,
    /// `active` or `blocked`; deletion goes through `UserService::delete`.
    pub status: Option<UserStatus>,
}

impl UserPatch {
    /// The fields this patch sets that only a project's secret key may change (status, external refs,
    /// roles, auth subject, email verification): an end user editing their own account may not.
    pub fn admin_only_fields(&self) -> Vec<&'static str> {
        [
            (self.status.is_some(), "status"),
            (self.external_refs.is_some(), "external_refs"),
            (self.roles.is_some(), "roles"),
            (!self.auth_subject.is_keep(), "auth_subject"),
            (self.email_verified.is_some(), "email_verified"),
        ]
        .into_iter()
        .filter_map(|(sent, field)| sent.then_some(field))
        .collect()
    }

    /// Applies the patch to a user's profile and status in memory; the caller writes the result.
    pub fn apply(self, p: &mut Profile, status: &mut UserStatus, limits: MetadataLimits) -> Result<(), DomainError> {
        let old_email = p.email.as_ref().map(Email::normalized);
        self.auth_subject.apply_to(&mut p.auth_subject);
        self.email.apply_to(&mut p.email);
        match self.email_verified {
            Some(v) => p.email_verified = v,
            None if p.email.as_ref().map(Email::normalized) != old_email => p.email_verified = false,
            None => {}
        }
        self.salutation.apply_to(&mut p.salutation);
        self.first_name.apply_to(&mut p.first_name);
        self.middle_name.apply_to(&mut p.middle_name);
        self.last_name.apply_to(&mut p.last_name);
        self.full_name.apply_to(&mut p.full_name);
        self.abbreviation.apply_to(&mut p.abbreviation);
        self.birth_date.apply_to(&mut p.birth_date);
        self.gender.apply_to(&mut p.gender);
        self.phone.apply_to(&mut p.phone);
        self.mobile.apply_to(&mut p.mobile);
        self.locale.apply_to(&mut p.locale);
        self.country.apply_to(&mut p.country);
        self.company_name.apply_to(&mut p.company_name);
        self.login.apply_to(&mut p.login);
        self.debtor_id.apply_to(&mut p.debtor_id);
        self.tax_number.apply_to(&mut p.tax_number);
        self.coc_number.apply_to(&mut p.coc_number);
        self.pricelist_amount.apply_to(&mut p.pricelist_amount);
        self.pricelist_percentage.apply_to(&mut p.pricelist_percentage);
        self.parent_group.apply_to(&mut p.parent_group);
        if let Some(refs) = self.external_refs {
            p.external_refs = refs;
        }
        match self.source_ref {
            None => {}
            Some(SourceRefChange::Set(r)) => {
                p.external_refs.retain(|old| old.source() != r.source());
                p.external_refs.push(r);
            }
            Some(SourceRefChange::Clear(source)) => p.external_refs.retain(|old| old.source() != source),
        }
        p.metadata.merge(&self.metadata, limits).map_err(|e| DomainError::Invalid(vec![e]))?;
        if let Some(tags) = self.tags {
            p.tags = tags;
        }
        self.bio.apply_to(&mut p.bio);
        self.note.apply_to(&mut p.note);
        self.image_ref.apply_to(&mut p.image_ref);
        self.avatar.apply_to(&mut p.avatar);
        self.default_payment_method_ref.apply_to(&mut p.default_payment_method_ref);
        if let Some(roles) = self.roles {
            p.roles = roles;
        }
        match self.status {
            None => {}
            Some(UserStatus::Deleted) => {
                return Err(DomainError::Invalid(vec![FieldError::new(
                    "status",
                    "invalid_status",
                    "Status is active or blocked; delete a user to delete it.",
                )]))
            }
            Some(s) => *status = s,
        }
        Ok(())
    }
}
