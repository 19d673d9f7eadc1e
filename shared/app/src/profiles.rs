//! Applying profiles: YAML or JSON text in, validated, stored; every problem listed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use pulse_core::{Profile, WorkspaceId};
use serde_json::{Value, json};

use crate::App;
use crate::error::AppError;

/// How long ingestion trusts its copy of a workspace's profiles (for the core features
/// whose first use it reports). Applying a profile in this process refreshes it at once.
pub const PROFILE_CACHE_TTL: Duration = Duration::from_secs(60);

/// Each workspace's profiles, as ingestion last read them.
#[derive(Default)]
pub struct ProfileCache {
    entries: Mutex<HashMap<WorkspaceId, (Vec<Profile>, Instant)>>,
}

impl ProfileCache {
    fn get(&self, workspace: &WorkspaceId) -> Option<Vec<Profile>> {
        let entries = self.entries.lock().expect("profile cache lock");
        entries
            .get(workspace)
            .filter(|(_, read_at)| read_at.elapsed() < PROFILE_CACHE_TTL)
            .map(|(profiles, _)| profiles.clone())
    }

    fn put(&self, workspace: &WorkspaceId, profiles: Vec<Profile>) {
        let mut entries = self.entries.lock().expect("profile cache lock");
        entries.insert(workspace.clone(), (profiles, Instant::now()));
    }

    fn forget(&self, workspace: &WorkspaceId) {
        self.entries
            .lock()
            .expect("profile cache lock")
            .remove(workspace);
    }
}

impl App {
    /// Validates and stores a profile. `path_id` (from `PUT /v1/profiles/{id}`) fills an
    /// absent `id` and must match a present one.
    pub async fn apply_profile(
        &self,
        workspace: &WorkspaceId,
        path_id: Option<&str>,
        text: &[u8],
    ) -> Result<Profile, AppError> {
        let profile = parse_profile_text(path_id, text)?;
        self.store.put_profile(workspace, &profile).await?;
        self.profiles.forget(workspace);
        tracing::info!(workspace = %workspace, profile = %profile.id, "profile applied");
        Ok(profile)
    }
}

impl App {
    /// The workspace's profiles, from a short-lived cache (ingestion reads them per batch).
    pub async fn cached_profiles(&self, workspace: &WorkspaceId) -> Result<Vec<Profile>, AppError> {
        if let Some(profiles) = self.profiles.get(workspace) {
            return Ok(profiles);
        }
        let profiles = self.store.profiles(workspace).await?;
        self.profiles.put(workspace, profiles.clone());
        Ok(profiles)
    }

    /// Every profile's core features: the events whose first use by an account matters.
    pub async fn core_features(&self, workspace: &WorkspaceId) -> Result<Vec<String>, AppError> {
        let mut events: Vec<String> = self
            .cached_profiles(workspace)
            .await?
            .into_iter()
            .flat_map(|profile| profile.core_features)
            .collect();
        events.sort();
        events.dedup();
        Ok(events)
    }

    /// Deletes a profile (and its results); `false` when there was none.
    pub async fn delete_profile(
        &self,
        workspace: &WorkspaceId,
        id: &str,
    ) -> Result<bool, AppError> {
        let deleted = self.store.delete_profile(workspace, id).await?;
        self.profiles.forget(workspace);
        Ok(deleted)
    }
}

/// Parses and validates profile text, as [`App::apply_profile`] does, without storing.
pub fn parse_profile_text(path_id: Option<&str>, bytes: &[u8]) -> Result<Profile, AppError> {
    let invalid = |problems: Vec<String>| AppError::BadRequest {
        code: "invalid_profile",
        message: format!(
            "the profile has {} problem(s): {}",
            problems.len(),
            problems.join("; ")
        ),
        details: Some(json!({"problems": problems})),
    };
    let text = std::str::from_utf8(bytes)
        .map_err(|_| invalid(vec!["the body is not UTF-8 text".into()]))?;
    let mut document =
        pulse_core::profile::parse_document(text).map_err(|problem| invalid(vec![problem]))?;
    if let (Value::Object(object), Some(path_id)) = (&mut document, path_id) {
        match object.get("id") {
            None | Some(Value::Null) => {
                object.insert("id".into(), json!(path_id));
            }
            Some(Value::String(body_id)) if body_id != path_id => {
                return Err(invalid(vec![format!(
                    "id: the body says `{body_id}` but the path says `{path_id}`"
                )]));
            }
            _ => {}
        }
    }
    Profile::from_document(&document).map_err(|error| invalid(error.problems))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_id_fills_a_missing_id_and_must_match_a_given_one() {
        let profile = parse_profile_text(Some("cs"), b"events: {A: 1}").unwrap();
        assert_eq!(profile.id.as_str(), "cs");
        let error = parse_profile_text(Some("cs"), b"id: other\nevents: {A: 1}").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("the body says `other` but the path says `cs`")
        );
    }

    #[test]
    fn every_problem_is_returned_in_the_details() {
        let error = parse_profile_text(None, b"window_days: 3").unwrap_err();
        let AppError::BadRequest {
            details: Some(details),
            code,
            ..
        } = error
        else {
            panic!("expected a bad request")
        };
        assert_eq!(code, "invalid_profile");
        assert_eq!(
            details["problems"].as_array().unwrap().len(),
            3,
            "{details}"
        );
    }
}
