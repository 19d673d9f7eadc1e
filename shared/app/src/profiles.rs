//! Applying profiles: YAML or JSON text in, validated, stored; every problem listed.

use pulse_core::{Profile, WorkspaceId};
use serde_json::{Value, json};

use crate::App;
use crate::error::AppError;

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
        tracing::info!(workspace = %workspace, profile = %profile.id, "profile applied");
        Ok(profile)
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
