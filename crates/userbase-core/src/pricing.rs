//! Pricing a user gets (Propeller): per category or product, by id or external ref, one of `CP` (cost
//! price plus `amount` %), `SP` (sales price minus `amount` %) or `net` (a fixed `price`). Stored as given;
//! there is no catalogue behind it.

use time::OffsetDateTime;

use crate::error::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PricingTargetKind {
    Category,
    Product,
}

impl PricingTargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PricingTargetKind::Category => "category",
            PricingTargetKind::Product => "product",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "category" => Some(PricingTargetKind::Category),
            "product" => Some(PricingTargetKind::Product),
            _ => None,
        }
    }
}

/// What a pricing item applies to: an id, or a `(source, source_id)` reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PricingTarget {
    Id(i64),
    External { source: String, source_id: String },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PricingRule {
    CostPlus { amount: f64 },
    SalesMinus { amount: f64 },
    Net { price: f64 },
}

impl PricingRule {
    /// `type` and the one number it needs; both finite and not negative.
    pub fn parse(field: &str, kind: &str, amount: Option<f64>, price: Option<f64>) -> Result<Self, FieldError> {
        let number = |v: Option<f64>, name: &str| match v {
            Some(n) if n.is_finite() && n >= 0.0 => Ok(n),
            _ => Err(FieldError::new(
                format!("{field}.{name}"),
                "invalid_number",
                format!("{name} is a number of at least 0."),
            )),
        };
        match kind {
            "CP" => Ok(PricingRule::CostPlus { amount: number(amount, "amount")? }),
            "SP" => Ok(PricingRule::SalesMinus { amount: number(amount, "amount")? }),
            "net" => Ok(PricingRule::Net { price: number(price, "price")? }),
            _ => Err(FieldError::new(format!("{field}.type"), "invalid_pricing_type", "type is CP, SP or net.")),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            PricingRule::CostPlus { .. } => "CP",
            PricingRule::SalesMinus { .. } => "SP",
            PricingRule::Net { .. } => "net",
        }
    }

    /// The rule as stored: `{"type": ..., "amount"|"price": ...}`.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            PricingRule::CostPlus { amount } | PricingRule::SalesMinus { amount } => {
                serde_json::json!({"type": self.kind(), "amount": amount})
            }
            PricingRule::Net { price } => serde_json::json!({"type": "net", "price": price}),
        }
    }

    pub fn from_json(v: &serde_json::Value) -> Option<Self> {
        Self::parse("pricing", v["type"].as_str()?, v["amount"].as_f64(), v["price"].as_f64()).ok()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PricingItem {
    pub target_kind: PricingTargetKind,
    pub target: PricingTarget,
    pub rule: PricingRule,
    pub shop_id: Option<i64>,
    pub updated_at: OffsetDateTime,
}
