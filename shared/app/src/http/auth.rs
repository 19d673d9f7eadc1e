//! Credentials from requests: HTTP Basic (write key as the user name, as Segment's
//! libraries send it) for ingestion, `Bearer` admin keys for the admin API.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::Engine;
use pulse_core::WorkspaceId;
use pulse_store::KeyKind;

use crate::App;
use crate::error::AppError;

/// The write key of a `Basic` Authorization header, if there is one.
pub fn basic_write_key(headers: &HeaderMap) -> Result<Option<String>, AppError> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed = || {
        AppError::Unauthorized(
            "the Authorization header must be `Basic base64(<write key>:)`".into(),
        )
    };
    let text = value.to_str().map_err(|_| malformed())?;
    let (scheme, encoded) = text.trim().split_once(' ').ok_or_else(malformed)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(AppError::Unauthorized(
            "ingestion takes the write key as HTTP Basic user name (`Basic base64(<write key>:)`)"
                .into(),
        ));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let user = decoded
        .split_once(':')
        .map_or(decoded.as_str(), |(user, _)| user);
    Ok((!user.is_empty()).then(|| user.to_string()))
}

/// An admin request's workspace, from `Authorization: Bearer <admin key>`.
pub struct AdminWorkspace(pub WorkspaceId);

impl FromRequestParts<App> for AdminWorkspace {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .ok_or_else(|| {
                AppError::Unauthorized("missing `Authorization: Bearer <admin key>`".into())
            })?;
        let key = header
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, key)| key.trim())
            .filter(|key| !key.is_empty())
            .ok_or_else(|| {
                AppError::Unauthorized(
                    "the admin API needs `Authorization: Bearer <admin key>`".into(),
                )
            })?;
        app.authenticate(key, KeyKind::Admin)
            .await
            .map(AdminWorkspace)
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn basic_auth_carries_the_write_key_as_user_name() {
        let encoded = base64::engine::general_purpose::STANDARD.encode("pk_write_abc:");
        assert_eq!(
            basic_write_key(&headers(&format!("Basic {encoded}")))
                .unwrap()
                .as_deref(),
            Some("pk_write_abc")
        );
        assert_eq!(basic_write_key(&HeaderMap::new()).unwrap(), None);
        assert!(basic_write_key(&headers("Basic !!!")).is_err());
        assert!(basic_write_key(&headers("Bearer x")).is_err());
    }
}
