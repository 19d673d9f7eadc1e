//! Creating workspaces and resolving keys to them.

use pulse_core::{Slug, WorkspaceId};
use pulse_store::{ApiKeyRecord, KeyKind, Workspace};
use serde::Serialize;

use crate::App;
use crate::error::AppError;
use crate::keys::{
    ADMIN_KEY_PREFIX, WRITE_KEY_PREFIX, generate_key, generate_workspace_id, hash_key,
};

/// A new workspace and its keys. The keys exist only in this value: print them once.
#[derive(Clone, Debug, Serialize)]
pub struct CreatedWorkspace {
    pub workspace: String,
    pub name: String,
    pub write_key: String,
    pub admin_key: String,
}

impl App {
    pub async fn create_workspace(&self, name: &str) -> Result<CreatedWorkspace, AppError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(AppError::bad_request(
                "invalid_name",
                "a workspace name must be 1 to 200 characters",
            ));
        }
        let random = |error: getrandom::Error| {
            AppError::Internal(format!("no randomness for keys: {error}"))
        };
        let id: WorkspaceId = Slug::parse(&generate_workspace_id().map_err(random)?)
            .map_err(|error| AppError::Internal(error.to_string()))?;
        let write_key = generate_key(WRITE_KEY_PREFIX).map_err(random)?;
        let admin_key = generate_key(ADMIN_KEY_PREFIX).map_err(random)?;
        let now = self.clock.now();
        let record = |key: &str, kind| ApiKeyRecord {
            hash: hash_key(key),
            workspace: id.clone(),
            kind,
            created_at: now,
        };
        self.store
            .create_workspace(
                &Workspace {
                    id: id.clone(),
                    name: name.to_string(),
                    created_at: now,
                },
                &[
                    record(&write_key, KeyKind::Write),
                    record(&admin_key, KeyKind::Admin),
                ],
            )
            .await?;
        tracing::info!(workspace = %id, "workspace created");
        Ok(CreatedWorkspace {
            workspace: id.to_string(),
            name: name.to_string(),
            write_key,
            admin_key,
        })
    }

    /// The workspace a key opens, if the key is of the `wanted` kind.
    pub async fn authenticate(&self, key: &str, wanted: KeyKind) -> Result<WorkspaceId, AppError> {
        let hash = hash_key(key);
        let record = match self.keys.get(&hash) {
            Some(record) => Some(record),
            None => {
                let record = self.store.key_by_hash(&hash).await?;
                if let Some(record) = &record {
                    self.keys.put(record.clone());
                }
                record
            }
        };
        match record {
            Some(record) if record.kind == wanted => Ok(record.workspace),
            Some(record) => Err(AppError::Forbidden(match record.kind {
                KeyKind::Admin => "this is an admin key; sending events needs the workspace's write key".into(),
                KeyKind::Write => "this is a write key, which may only send events; the admin API needs an admin key".into(),
            })),
            None => Err(AppError::Unauthorized(
                "unknown key: check the key (keys are shown once, at workspace creation)".into(),
            )),
        }
    }
}
