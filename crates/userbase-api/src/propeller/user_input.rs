//! Propeller user bodies (002.3 "User fields") into core patches, field by field (U2): `title` is the
//! salutation, `company` the company name, `primaryLanguage`/`language` the locale's language, `source` +
//! `sourceId` the user's first external ref, `parent` its parent group. The type drift of the contract is
//! accepted both ways (`phone`, `debtorId` and `sourceId` as numbers, `gender` in either case, `dateOfBirth`
//! as `DD/MM/YYYY` or ISO). Type errors and unknown keys are schema violations (10007); values that are
//! not valid are payload errors (10017).

use time::{Date, Month};
use userbase_core::patch::Patch;
use userbase_core::services::UserPatch;
use userbase_core::values::{parse_birth_date, parse_text, Email, ExternalRef, Gender, GroupRef, Locale, TextLimit};

use super::error::PropellerError;
use super::schema::{Obj, Violations};

/// The keys of a user body.
pub const USER_KEYS: [&str; 23] = [
    "debtorId",
    "firstName",
    "middleName",
    "lastName",
    "fullName",
    "title",
    "abbreviation",
    "dateOfBirth",
    "gender",
    "login",
    "phone",
    "mobile",
    "email",
    "company",
    "parent",
    "pricelistAmount",
    "pricelistPercentage",
    "taxNumber",
    "cocNumber",
    "primaryLanguage",
    "language",
    "sourceId",
    "source",
];

/// A user body, translated.
#[derive(Debug, Default)]
pub struct UserInput {
    pub patch: UserPatch,
    /// `parent`, when sent (`null` clears it).
    pub parent: Patch<GroupRef>,
    /// `source` + `sourceId`, when sent.
    pub source_ref: Option<ExternalRef>,
    /// `primaryLanguage` (or `language`), as a locale of that language.
    pub language: Option<Locale>,
}

/// Values that are not valid, as 10017 messages.
#[derive(Debug, Default)]
pub struct PayloadErrors(pub Vec<String>);

impl PayloadErrors {
    fn push(&mut self, at: &str, field: &str, message: &str) {
        self.0.push(format!("{at}/{field}: {message}"));
    }
}

/// The schema violations, else the payload errors, as the error to answer.
pub fn verdict(schema: Violations, payload: PayloadErrors) -> Result<(), PropellerError> {
    if !schema.is_empty() {
        return Err(PropellerError::schema(schema.0));
    }
    if !payload.0.is_empty() {
        return Err(PropellerError::payload(payload.0));
    }
    Ok(())
}

fn text(o: &Obj<'_>, key: &str, raw: Patch<String>, e: &mut PayloadErrors) -> Patch<String> {
    match raw {
        Patch::Set(s) => match parse_text(key, &s, TextLimit::Short) {
            Ok(s) => Patch::Set(s),
            Err(f) => {
                e.push(&o.at, key, &f.message);
                Patch::Keep
            }
        },
        other => other,
    }
}

/// `YYYY-MM-DD`, `DD/MM/YYYY`, or the form a GET answers (`August, 28 1993 00:00:00 +0000`).
fn parse_date_of_birth(s: &str) -> Option<Date> {
    if let Ok(d) = parse_birth_date("dateOfBirth", s) {
        return Some(d);
    }
    let mut parts = s.split('/');
    if let (Some(d), Some(m), Some(y), None) = (parts.next(), parts.next(), parts.next(), parts.next()) {
        let iso = format!("{y:0>4}-{m:0>2}-{d:0>2}");
        return parse_birth_date("dateOfBirth", &iso).ok();
    }
    let (month, rest) = s.split_once(", ")?;
    let month = (1..=12u8).filter_map(|m| Month::try_from(m).ok()).find(|m| m.to_string() == month)?;
    let mut rest = rest.split(' ');
    let (day, year) = (rest.next()?.parse::<u8>().ok()?, rest.next()?.parse::<i32>().ok()?);
    let date = Date::from_calendar_date(year, month, day).ok()?;
    parse_birth_date("dateOfBirth", &date.to_string()).ok()
}

impl UserInput {
    /// Reads a user body at `o` (which the caller has checked for unknown keys).
    pub fn read(o: &Obj<'_>, v: &mut Violations, e: &mut PayloadErrors) -> Self {
        let t = |key: &str, v: &mut Violations, e: &mut PayloadErrors| text(o, key, o.text(key, v), e);
        let tn = |key: &str, v: &mut Violations, e: &mut PayloadErrors| text(o, key, o.text_or_number(key, v), e);
        let mut patch = UserPatch {
            debtor_id: tn("debtorId", v, e),
            first_name: t("firstName", v, e),
            middle_name: t("middleName", v, e),
            last_name: t("lastName", v, e),
            full_name: t("fullName", v, e),
            salutation: t("title", v, e),
            abbreviation: t("abbreviation", v, e),
            login: t("login", v, e),
            phone: tn("phone", v, e),
            mobile: tn("mobile", v, e),
            company_name: t("company", v, e),
            pricelist_amount: t("pricelistAmount", v, e),
            pricelist_percentage: t("pricelistPercentage", v, e),
            tax_number: t("taxNumber", v, e),
            coc_number: t("cocNumber", v, e),
            ..UserPatch::default()
        };
        patch.email = match o.text("email", v) {
            Patch::Set(s) => match Email::parse("email", &s) {
                Ok(email) => Patch::Set(email),
                Err(_) => {
                    e.push(&o.at, "email", "A valid email address is required");
                    Patch::Keep
                }
            },
            Patch::Clear => Patch::Clear,
            Patch::Keep => Patch::Keep,
        };
        patch.birth_date = match o.text("dateOfBirth", v) {
            Patch::Set(s) => match parse_date_of_birth(&s) {
                Some(d) => Patch::Set(d),
                None => {
                    e.push(&o.at, "dateOfBirth", "A date of birth is DD/MM/YYYY or YYYY-MM-DD, in the past");
                    Patch::Keep
                }
            },
            Patch::Clear => Patch::Clear,
            Patch::Keep => Patch::Keep,
        };
        patch.gender = match o.text("gender", v) {
            Patch::Set(s) => match Gender::from_code(&s) {
                Some(g) => Patch::Set(g),
                None => {
                    v.push(&o.at_key("gender"), format_args!("{s} is not a valid enum value"));
                    Patch::Keep
                }
            },
            Patch::Clear => Patch::Clear,
            Patch::Keep => Patch::Keep,
        };
        let language_key = if o.has("primaryLanguage") { "primaryLanguage" } else { "language" };
        let mut language = None;
        match o.text(language_key, v) {
            Patch::Set(s) => match Locale::parse(language_key, &s.to_ascii_lowercase()) {
                Ok(l) if l.as_str().len() == 2 => language = Some(l),
                _ => e.push(&o.at, language_key, "A language is an ISO 639-1 code (e.g. NL)"),
            },
            Patch::Clear => patch.locale = Patch::Clear,
            Patch::Keep => {}
        }
        let source = o.text("source", v);
        let source_id = o.text_or_number("sourceId", v);
        let source_ref = match (source, source_id) {
            (Patch::Set(s), Patch::Set(id)) => match ExternalRef::parse("sourceId", &s, &id) {
                Ok(r) => Some(r),
                Err(f) => {
                    e.push(&o.at, "sourceId", &f.message);
                    None
                }
            },
            (Patch::Set(_), _) => {
                e.push(&o.at, "source", "source is given only together with sourceId");
                None
            }
            (_, Patch::Set(_)) => {
                e.push(&o.at, "sourceId", "sourceId is given only together with source");
                None
            }
            _ => None,
        };
        let parent = match o.map.get("parent") {
            None => Patch::Keep,
            Some(serde_json::Value::Null) => Patch::Clear,
            Some(_) => match o.object("parent", v) {
                Some(p) => read_parent(&p, v, e),
                None => Patch::Keep,
            },
        };
        Self { patch, parent, source_ref, language }
    }
}

/// `{"id": n}` or `{"source": s, "sourceId": id}`.
fn read_parent(p: &Obj<'_>, v: &mut Violations, e: &mut PayloadErrors) -> Patch<GroupRef> {
    p.allow(&["id", "source", "sourceId"], v);
    let id = p.integer("id", v);
    let source = p.text("source", v);
    let source_id = p.text_or_number("sourceId", v);
    match (id, source, source_id) {
        (Some(id), Patch::Keep, Patch::Keep) if id > 0 => Patch::Set(GroupRef::Id { id }),
        (None, Patch::Set(source), Patch::Set(source_id)) => match ExternalRef::parse("parent", &source, &source_id) {
            Ok(_) => Patch::Set(GroupRef::External { source, source_id }),
            Err(f) => {
                e.push(&p.at, "sourceId", &f.message);
                Patch::Keep
            }
        },
        _ => {
            e.0.push(format!("{}: a parent is {{id}} or {{source, sourceId}}", p.at));
            Patch::Keep
        }
    }
}
