//! Query and Scan: key conditions, filters, and `LastEvaluatedKey` followed across 1 MB
//! pages.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity, Select};

use super::{Db, store_error};
use crate::dynamodb::attrs::{Item, item_size, read_units};
use crate::dynamodb::keys;
use crate::error::StoreError;

/// A sort-key condition of a Query.
#[derive(Clone, Debug)]
pub enum Range {
    All,
    Prefix(String),
    From(String),
    Between(String, String),
    /// Sort keys strictly below this one (keyset paging, newest first).
    Below(String),
}

/// A FilterExpression: applied by DynamoDB after it reads the items, so it saves transfer,
/// not capacity. Placeholders must not start with `:a`, `:b` or `:pk` (the key condition's).
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub expression: String,
    pub names: HashMap<String, String>,
    pub values: HashMap<String, AttributeValue>,
}

#[derive(Clone, Debug)]
pub struct QuerySpec {
    pub pk: String,
    pub range: Range,
    /// Query GSI1 instead of the table (always eventually consistent).
    pub on_gsi1: bool,
    pub newest_first: bool,
    /// Stop after this many (matching) items.
    pub limit: Option<usize>,
    pub filter: Option<Filter>,
}

impl QuerySpec {
    pub fn table(pk: impl Into<String>, range: Range) -> QuerySpec {
        QuerySpec {
            pk: pk.into(),
            range,
            on_gsi1: false,
            newest_first: false,
            limit: None,
            filter: None,
        }
    }
}

impl Db {
    /// Every item of a Query, across pages (strongly consistent on the table).
    pub async fn query(&self, spec: &QuerySpec) -> Result<Vec<Item>, StoreError> {
        let partition = if spec.on_gsi1 { keys::GSI1PK } else { keys::PK };
        let sort = if spec.on_gsi1 { keys::GSI1SK } else { keys::SK };
        let mut values = HashMap::from([(":pk".to_string(), AttributeValue::S(spec.pk.clone()))]);
        let mut expression = format!("{partition} = :pk");
        match &spec.range {
            Range::All => {}
            Range::Prefix(prefix) => {
                expression.push_str(&format!(" AND begins_with({sort}, :a)"));
                values.insert(":a".into(), AttributeValue::S(prefix.clone()));
            }
            Range::From(from) => {
                expression.push_str(&format!(" AND {sort} >= :a"));
                values.insert(":a".into(), AttributeValue::S(from.clone()));
            }
            Range::Between(from, to) => {
                expression.push_str(&format!(" AND {sort} BETWEEN :a AND :b"));
                values.insert(":a".into(), AttributeValue::S(from.clone()));
                values.insert(":b".into(), AttributeValue::S(to.clone()));
            }
            Range::Below(below) => {
                expression.push_str(&format!(" AND {sort} < :a"));
                values.insert(":a".into(), AttributeValue::S(below.clone()));
            }
        }
        let (filter, names) = match &spec.filter {
            Some(filter) => {
                values.extend(filter.values.clone());
                (
                    Some(filter.expression.clone()),
                    (!filter.names.is_empty()).then(|| filter.names.clone()),
                )
            }
            None => (None, None),
        };
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            // With a filter, a page limit counts items read, not items kept: read a little
            // ahead rather than one round trip per filtered-out item.
            let page_limit = spec.limit.map(|limit| {
                let wanted = limit - items.len();
                let wanted = if filter.is_some() {
                    wanted.max(100)
                } else {
                    wanted
                };
                wanted.min(i32::MAX as usize) as i32
            });
            let output = self
                .send(|| {
                    self.client
                        .query()
                        .table_name(self.table.as_ref())
                        .set_index_name(spec.on_gsi1.then(|| keys::GSI1.to_string()))
                        .key_condition_expression(&expression)
                        .set_filter_expression(filter.clone())
                        .set_expression_attribute_names(names.clone())
                        .set_expression_attribute_values(Some(values.clone()))
                        .consistent_read(!spec.on_gsi1)
                        .scan_index_forward(!spec.newest_first)
                        .set_limit(page_limit)
                        .set_exclusive_start_key(start.clone())
                        .select(Select::AllAttributes)
                        .return_consumed_capacity(ReturnConsumedCapacity::Total)
                        .send()
                })
                .await
                .map_err(|error| store_error("Query", error))?;
            self.report(false, output.consumed_capacity());
            // A filter drops items after they are read and billed: scale what came back by
            // how many were read.
            let (kept, read) = (
                output.count.max(0) as usize,
                output.scanned_count.max(0) as usize,
            );
            let page = output.items.unwrap_or_default();
            let bytes: usize = page.iter().map(item_size).sum();
            let bytes = if kept > 0 && read > kept {
                bytes * read / kept
            } else {
                bytes
            };
            let factor = if spec.on_gsi1 { 0.5 } else { 1.0 };
            self.estimate(factor * read_units(bytes), 0.0);
            items.extend(page);
            start = output.last_evaluated_key;
            let full = spec.limit.is_some_and(|limit| items.len() >= limit);
            if start.is_none() || full {
                if let Some(limit) = spec.limit {
                    items.truncate(limit);
                }
                return Ok(items);
            }
        }
    }

    /// One page of one segment of a parallel Scan (background work only): its items and
    /// where the next page starts (`None` at the end).
    pub async fn scan_page(
        &self,
        segment: i32,
        total: i32,
        filter: &str,
        values: &HashMap<String, AttributeValue>,
        start: Option<Item>,
    ) -> Result<(Vec<Item>, Option<Item>), StoreError> {
        let output = self
            .send(|| {
                self.client
                    .scan()
                    .table_name(self.table.as_ref())
                    .segment(segment)
                    .total_segments(total)
                    .filter_expression(filter)
                    .set_expression_attribute_values(Some(values.clone()))
                    .consistent_read(true)
                    .set_exclusive_start_key(start.clone())
                    .return_consumed_capacity(ReturnConsumedCapacity::Total)
                    .send()
            })
            .await
            .map_err(|error| store_error("Scan", error))?;
        self.report(false, output.consumed_capacity());
        let page = output.items.unwrap_or_default();
        self.estimate(read_units(page.iter().map(item_size).sum()), 0.0);
        Ok((page, output.last_evaluated_key))
    }
}
