//! The store conformance suite on the DynamoDB adapter, against a real DynamoDB-compatible
//! server (`moto_server` on loopback), one new table per check.

mod dynamodb_support;

mod conformance {
    pulse_store::conformance_tests!(super::dynamodb_support::fresh_store());
}
