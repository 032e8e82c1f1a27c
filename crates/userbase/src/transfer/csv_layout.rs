//! The CSV layout of users, the same for export and import: one column per v1 field; `tags` and `roles`
//! separated by `;`; `metadata` and `external_refs` as JSON. Read-only columns (timestamps, other ids)
//! are written on export and skipped on import, so an exported file imports again unchanged.

use serde_json::{Map, Value};

/// Export column order.
pub const COLUMNS: &[&str] = &[
    "id",
    "email",
    "email_verified",
    "salutation",
    "first_name",
    "middle_name",
    "last_name",
    "full_name",
    "abbreviation",
    "birthday",
    "gender",
    "phone",
    "mobile",
    "locale",
    "country",
    "company_name",
    "login",
    "debtor_id",
    "tax_number",
    "coc_number",
    "pricelist_amount",
    "pricelist_percentage",
    "auth_subject",
    "status",
    "tags",
    "roles",
    "metadata",
    "external_refs",
    "bio",
    "note",
    "image",
    "avatar",
    "default_payment_method",
    "created_at",
    "updated_at",
];

/// Columns written on export but never imported.
const READ_ONLY: &[&str] = &["created_at", "updated_at", "object_id", "numeric_id", "human_id"];

/// Checks a header; the error names the first unknown column.
pub fn check_header(header: &csv::StringRecord) -> Result<(), String> {
    match header.iter().find(|h| !COLUMNS.contains(h) && !READ_ONLY.contains(h)) {
        Some(unknown) => Err(format!("unknown CSV column '{unknown}'")),
        None => Ok(()),
    }
}

/// One CSV row as a v1 user body (JSON). Empty cells are left out.
pub fn row_to_json(header: &csv::StringRecord, row: &csv::StringRecord) -> Result<Vec<u8>, String> {
    let mut object = Map::new();
    for (name, cell) in header.iter().zip(row.iter()) {
        if cell.is_empty() || READ_ONLY.contains(&name) {
            continue;
        }
        let value = match name {
            "email_verified" => match cell {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => return Err(format!("{name}: expected true or false")),
            },
            "tags" | "roles" => {
                Value::Array(cell.split(';').map(str::trim).filter(|s| !s.is_empty()).map(Value::from).collect())
            }
            "metadata" | "external_refs" => {
                serde_json::from_str(cell).map_err(|e| format!("{name}: not valid JSON ({e})"))?
            }
            _ => Value::from(cell),
        };
        object.insert(name.to_owned(), value);
    }
    serde_json::to_vec(&object).map_err(|e| e.to_string())
}

/// One v1 user JSON object as a CSV row in `COLUMNS` order.
pub fn json_to_row(user: &Value) -> Vec<String> {
    COLUMNS
        .iter()
        .map(|c| match &user[*c] {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            Value::Array(items) if matches!(*c, "tags" | "roles") => {
                items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(";")
            }
            Value::Array(items) if items.is_empty() => String::new(),
            Value::Object(map) if map.is_empty() => String::new(),
            other => other.to_string(),
        })
        .collect()
}
