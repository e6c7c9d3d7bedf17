//! Serde at the edge: how typed values are spelled in vector files. Amounts are decimal strings
//! (as the model renders them), channel statuses their lower-case names.

pub fn is_zero(v: &i64) -> bool {
    *v == 0
}

pub fn is_zero_u32(v: &u32) -> bool {
    *v == 0
}

/// A [`Dec`](crate::model::Dec) as its rendered decimal string.
pub mod decimal {
    use crate::model::amount::{parse_decimal, render};
    use crate::model::Dec;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Dec, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&render(value))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Dec, D::Error> {
        let text = String::deserialize(d)?;
        parse(&text).map_err(serde::de::Error::custom)
    }

    pub fn parse(text: &str) -> Result<Dec, String> {
        parse_decimal(text).map_err(|e| format!("{text:?} is not a decimal amount: {e:?}"))
    }
}

/// name → asset → amount, each amount as its rendered decimal string.
pub mod decimal_rows {
    use super::decimal;
    use crate::model::amount::render;
    use crate::model::Dec;
    use serde::ser::SerializeMap;
    use serde::{Deserialize, Deserializer, Serializer};
    use std::collections::BTreeMap;

    type Rows = BTreeMap<String, BTreeMap<String, Dec>>;

    pub fn serialize<S: Serializer>(rows: &Rows, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(rows.len()))?;
        for (name, assets) in rows {
            let rendered: BTreeMap<&str, String> = assets
                .iter()
                .map(|(asset, amount)| (asset.as_str(), render(amount)))
                .collect();
            map.serialize_entry(name, &rendered)?;
        }
        map.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Rows, D::Error> {
        let text = BTreeMap::<String, BTreeMap<String, String>>::deserialize(d)?;
        let mut rows = Rows::new();
        for (name, assets) in text {
            let mut parsed = BTreeMap::new();
            for (asset, amount) in assets {
                let value = decimal::parse(&amount).map_err(serde::de::Error::custom)?;
                parsed.insert(asset, value);
            }
            rows.insert(name, parsed);
        }
        Ok(rows)
    }
}

/// A [`ChannelStatus`](crate::model::ChannelStatus) as its name (`open`, `challenged`, …).
pub mod channel_status {
    use crate::model::ChannelStatus;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &ChannelStatus, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(value.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ChannelStatus, D::Error> {
        let text = String::deserialize(d)?;
        parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not a channel status")))
    }

    /// The status named `text`, by the model's own names.
    pub fn parse(text: &str) -> Option<ChannelStatus> {
        ChannelStatus::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::channel_status;
    use crate::model::ChannelStatus;

    #[test]
    fn every_channel_status_reads_back_as_itself() {
        for s in [
            ChannelStatus::Open,
            ChannelStatus::Resizing,
            ChannelStatus::Challenged,
            ChannelStatus::Closed,
        ] {
            assert_eq!(channel_status::parse(s.as_str()), Some(s));
        }
        assert_eq!(channel_status::parse("Closed"), None);
    }
}
