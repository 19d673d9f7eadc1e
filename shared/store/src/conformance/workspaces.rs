//! Checks: workspaces and their keys.

use super::fixtures::{at, workspace, workspace_id};
use crate::{ApiKeyRecord, KeyKind, Store, StoreError};

fn key(hash: &str, workspace: &str, kind: KeyKind) -> ApiKeyRecord {
    ApiKeyRecord {
        hash: hash.to_string(),
        workspace: workspace_id(workspace),
        kind,
        created_at: at("2026-11-01T09:00:00Z"),
    }
}

pub async fn a_created_workspace_is_read_back_and_listed(store: &dyn Store) {
    let beta = workspace("beta", "Beta Corp");
    let alpha = workspace("alpha", "Alpha & Sons — Ünïcode");

    store
        .create_workspace(&beta, &[])
        .await
        .expect("creating beta");
    store
        .create_workspace(&alpha, &[])
        .await
        .expect("creating alpha");

    assert_eq!(
        store.workspace(&beta.id).await.expect("reading beta"),
        Some(beta.clone())
    );
    assert_eq!(
        store.workspace(&alpha.id).await.expect("reading alpha"),
        Some(alpha.clone())
    );
    assert_eq!(
        store
            .workspace(&workspace_id("gamma"))
            .await
            .expect("reading gamma"),
        None,
        "a workspace never created is not found"
    );
    let mut listed = store.workspaces().await.expect("listing workspaces");
    listed.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(
        listed,
        vec![alpha, beta],
        "the list holds every workspace, once"
    );
}

pub async fn creating_a_workspace_twice_is_refused_as_already_exists(store: &dyn Store) {
    let first = workspace("acme", "Acme");
    store
        .create_workspace(&first, &[key("hash-first", "acme", KeyKind::Admin)])
        .await
        .expect("creating acme");

    let again = store
        .create_workspace(
            &workspace("acme", "Someone else's Acme"),
            &[key("hash-intruder", "acme", KeyKind::Admin)],
        )
        .await;

    assert!(
        matches!(again, Err(StoreError::AlreadyExists(_))),
        "a second create of `acme` must be AlreadyExists, got {again:?}"
    );
    assert_eq!(
        store.workspace(&first.id).await.expect("reading acme"),
        Some(first),
        "the refused create changed the workspace"
    );
    assert_eq!(
        store
            .key_by_hash("hash-intruder")
            .await
            .expect("reading a key"),
        None,
        "the refused create stored its key: it would open someone else's workspace"
    );
    assert_eq!(store.workspaces().await.expect("listing").len(), 1);
}

pub async fn keys_are_found_by_hash_with_their_kind_and_workspace(store: &dyn Store) {
    let write = key(
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "acme",
        KeyKind::Write,
    );
    let admin = key(
        "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752",
        "acme",
        KeyKind::Admin,
    );
    let other = key(
        "fd61a03af4f77d870fc21e05e7e80678095c92d808cfb3b5c279ee04c74aca13",
        "globex",
        KeyKind::Write,
    );
    store
        .create_workspace(&workspace("acme", "Acme"), &[write.clone(), admin.clone()])
        .await
        .expect("creating acme");
    store
        .create_workspace(&workspace("globex", "Globex"), std::slice::from_ref(&other))
        .await
        .expect("creating globex");

    let found_write = store
        .key_by_hash(&write.hash)
        .await
        .expect("reading the write key");
    let found_admin = store
        .key_by_hash(&admin.hash)
        .await
        .expect("reading the admin key");
    let found_other = store
        .key_by_hash(&other.hash)
        .await
        .expect("reading globex's key");
    let unknown = store
        .key_by_hash("0000000000000000000000000000000000000000000000000000000000000000")
        .await
        .expect("reading an unknown key");

    assert_eq!(found_write, Some(write));
    assert_eq!(found_admin, Some(admin));
    assert_eq!(found_other, Some(other));
    assert_eq!(unknown, None, "an unknown hash finds no key");
}
