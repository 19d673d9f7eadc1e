//! Creating the table the design needs: `PK`/`SK`, GSI1 (`GSI1PK`/`GSI1SK`, all attributes
//! projected), TTL on `expires_at`, on-demand billing.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TableStatus, TimeToLiveSpecification,
};

use super::db::store_error;
use super::keys;
use crate::error::StoreError;

/// Creates the table (or finds it already there) and waits until it is active, with TTL on.
pub async fn create_table(client: &Client, name: &str) -> Result<(), StoreError> {
    let invalid =
        |error: aws_sdk_dynamodb::error::BuildError| StoreError::Invalid(error.to_string());
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
    };
    let key = |name: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
    };
    let gsi1 = GlobalSecondaryIndex::builder()
        .index_name(keys::GSI1)
        .key_schema(key(keys::GSI1PK, KeyType::Hash).map_err(invalid)?)
        .key_schema(key(keys::GSI1SK, KeyType::Range).map_err(invalid)?)
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        )
        .build()
        .map_err(invalid)?;
    let created = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute(keys::PK).map_err(invalid)?)
        .attribute_definitions(attribute(keys::SK).map_err(invalid)?)
        .attribute_definitions(attribute(keys::GSI1PK).map_err(invalid)?)
        .attribute_definitions(attribute(keys::GSI1SK).map_err(invalid)?)
        .key_schema(key(keys::PK, KeyType::Hash).map_err(invalid)?)
        .key_schema(key(keys::SK, KeyType::Range).map_err(invalid)?)
        .global_secondary_indexes(gsi1)
        .send()
        .await;
    match created {
        Ok(_) => {}
        Err(error)
            if aws_sdk_dynamodb::error::ProvideErrorMetadata::code(&error)
                == Some("ResourceInUseException") => {}
        Err(error) => return Err(store_error("CreateTable", error)),
    }
    for _ in 0..600 {
        let described = client
            .describe_table()
            .table_name(name)
            .send()
            .await
            .map_err(|error| store_error("DescribeTable", error))?;
        let status = described.table().and_then(|table| table.table_status());
        if status == Some(&TableStatus::Active) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let ttl = client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name(keys::EXPIRES_AT)
                .enabled(true)
                .build()
                .map_err(invalid)?,
        )
        .send()
        .await;
    match ttl {
        Ok(_) => Ok(()),
        // Already enabled (a second create): fine.
        Err(error)
            if aws_sdk_dynamodb::error::ProvideErrorMetadata::message(&error)
                .is_some_and(|message| message.contains("already enabled")) =>
        {
            Ok(())
        }
        Err(error) => Err(store_error("UpdateTimeToLive", error)),
    }
}
