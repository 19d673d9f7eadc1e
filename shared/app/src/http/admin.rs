//! The admin/read API handlers (SPEC §7). Thin: parse parameters, call a use case, shape
//! the JSON.

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use pulse_core::{Day, SubjectKind};
use pulse_store::{ListQuery, Sort};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::AdminWorkspace;
use super::body::read_limited;
use crate::App;
use crate::error::AppError;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/v1/profiles", get(list_profiles))
        .route(
            "/v1/profiles/{id}",
            get(get_profile).put(put_profile).delete(delete_profile),
        )
        .route("/v1/recompute", post(recompute))
        .route("/v1/accounts", get(list_accounts))
        .route("/v1/accounts/{id}", get(get_account))
        .route("/v1/users", get(list_users))
        .route("/v1/users/{id}", get(get_user))
        .route("/v1/segments", get(list_segments))
        .merge(super::definitions::routes())
}

pub(super) type ApiResult = Result<Json<Value>, AppError>;

/// Query parameters shared by the read endpoints.
#[derive(Debug, Default, Deserialize)]
pub(super) struct ReadParams {
    pub profile: Option<String>,
    pub segment: Option<String>,
    pub account: Option<String>,
    pub sort: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
    pub as_of: Option<String>,
    pub kind: Option<String>,
    pub status: Option<String>,
    pub rule: Option<String>,
}

impl ReadParams {
    pub fn as_of(&self) -> Result<Option<Day>, AppError> {
        self.as_of
            .as_deref()
            .map(|text| {
                text.parse()
                    .map_err(|error: pulse_core::day::DayParseError| {
                        AppError::bad_request("invalid_as_of", format!("as_of: {error}"))
                    })
            })
            .transpose()
    }

    pub fn kind(&self) -> Result<SubjectKind, AppError> {
        match self.kind.as_deref() {
            None => Ok(SubjectKind::Accounts),
            Some(text) => SubjectKind::parse(text).ok_or_else(|| {
                AppError::bad_request("invalid_kind", "kind must be `users` or `accounts`")
            }),
        }
    }

    pub fn list_query(&self, app: &App) -> Result<ListQuery, AppError> {
        let max = app.config.limits.max_page_size;
        let limit = match self.limit.as_deref() {
            None => 100,
            Some(text) => match text.parse::<usize>() {
                Ok(limit) if (1..=max).contains(&limit) => limit,
                _ => {
                    return Err(AppError::bad_request(
                        "invalid_limit",
                        format!("limit must be a whole number from 1 to {max}"),
                    ));
                }
            },
        };
        let sort = match self.sort.as_deref() {
            None => Sort::default(),
            Some(text) => Sort::parse(text).ok_or_else(|| {
                AppError::bad_request(
                    "invalid_sort",
                    format!("sort `{text}` is not one of: {}", Sort::ALLOWED),
                )
            })?,
        };
        Ok(ListQuery {
            segment: self.segment.clone(),
            account: self.account.clone(),
            sort,
            limit,
            cursor: self.cursor.clone(),
        })
    }
}

pub(super) fn page_json(items: Vec<Value>, next_cursor: Option<String>) -> Json<Value> {
    Json(json!({"items": items, "next_cursor": next_cursor}))
}

async fn list_profiles(
    State(app): State<App>,
    AdminWorkspace(workspace): AdminWorkspace,
) -> ApiResult {
    let profiles = app.store.profiles(&workspace).await?;
    Ok(page_json(
        profiles.iter().map(|profile| json!(profile)).collect(),
        None,
    ))
}

async fn get_profile(
    State(app): State<App>,
    AdminWorkspace(workspace): AdminWorkspace,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(Json(json!(app.require_profile(&workspace, &id).await?)))
}

async fn put_profile(
    State(app): State<App>,
    AdminWorkspace(workspace): AdminWorkspace,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult {
    let bytes = read_limited(&headers, body, app.config.limits.max_admin_body_bytes).await?;
    let profile = app.apply_profile(&workspace, Some(&id), &bytes).await?;
    Ok(Json(json!(profile)))
}

async fn delete_profile(
    State(app): State<App>,
    AdminWorkspace(workspace): AdminWorkspace,
    Path(id): Path<String>,
) -> ApiResult {
    if app.delete_profile(&workspace, &id).await? {
        Ok(Json(json!({"deleted": true, "id": id})))
    } else {
        Err(AppError::not_found(format!("no profile `{id}`")))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecomputeRequest {
    profile: Option<String>,
    as_of: Option<String>,
}

async fn recompute(
    State(app): State<App>,
    AdminWorkspace(workspace): AdminWorkspace,
    headers: HeaderMap,
    body: Body,
) -> ApiResult {
    let bytes = read_limited(&headers, body, app.config.limits.max_admin_body_bytes).await?;
    let request: RecomputeRequest = if bytes.iter().all(u8::is_ascii_whitespace) {
        RecomputeRequest::default()
    } else {
        serde_json::from_slice(&bytes).map_err(|error| {
            AppError::bad_request(
                "invalid_body",
                format!("expected {{\"profile\": \"<id>\", \"as_of\": \"YYYY-MM-DD\"}} (both optional): {error}"),
            )
        })?
    };
    let as_of = ReadParams {
        as_of: request.as_of.clone(),
        ..Default::default()
    }
    .as_of()?;
    let today = Day::of(app.clock.now());
    if let Some(day) = as_of
        && day > today.plus(1)
    {
        return Err(AppError::bad_request(
            "invalid_as_of",
            format!("as_of {day} is in the future (today is {today})"),
        ));
    }
    let summaries = app
        .recompute_profiles(&workspace, request.profile.as_deref(), as_of)
        .await?;
    Ok(Json(json!({"results": summaries})))
}

async fn list_scores(
    app: &App,
    workspace: &pulse_core::WorkspaceId,
    kind: SubjectKind,
    params: &ReadParams,
) -> ApiResult {
    if kind == SubjectKind::Accounts && params.account.is_some() {
        return Err(AppError::bad_request(
            "invalid_filter",
            "account= filters users, not accounts",
        ));
    }
    let profile = app
        .resolve_profile(workspace, params.profile.as_deref())
        .await?;
    let day = app
        .resolve_day(workspace, &profile, params.as_of()?)
        .await?;
    let page = app
        .list_scores(workspace, &profile, kind, day, &params.list_query(app)?)
        .await?;
    Ok(page_json(page.items, page.next_cursor))
}

async fn list_accounts(
    State(app): State<App>,
    AdminWorkspace(workspace): AdminWorkspace,
    Query(params): Query<ReadParams>,
) -> ApiResult {
    list_scores(&app, &workspace, SubjectKind::Accounts, &params).await
}

async fn list_users(
    State(app): State<App>,
    AdminWorkspace(workspace): AdminWorkspace,
    Query(params): Query<ReadParams>,
) -> ApiResult {
    list_scores(&app, &workspace, SubjectKind::Users, &params).await
}

async fn subject(
    app: &App,
    workspace: &pulse_core::WorkspaceId,
    kind: SubjectKind,
    id: &str,
    params: &ReadParams,
) -> ApiResult {
    let profile = app
        .resolve_profile(workspace, params.profile.as_deref())
        .await?;
    let day = app
        .resolve_day(workspace, &profile, params.as_of()?)
        .await?;
    Ok(Json(
        app.subject_detail(workspace, &profile, kind, id, day)
            .await?,
    ))
}

async fn get_account(
    State(app): State<App>,
    AdminWorkspace(workspace): AdminWorkspace,
    Path(id): Path<String>,
    Query(params): Query<ReadParams>,
) -> ApiResult {
    subject(&app, &workspace, SubjectKind::Accounts, &id, &params).await
}

async fn get_user(
    State(app): State<App>,
    AdminWorkspace(workspace): AdminWorkspace,
    Path(id): Path<String>,
    Query(params): Query<ReadParams>,
) -> ApiResult {
    subject(&app, &workspace, SubjectKind::Users, &id, &params).await
}

async fn list_segments(
    State(app): State<App>,
    AdminWorkspace(workspace): AdminWorkspace,
    Query(params): Query<ReadParams>,
) -> ApiResult {
    let profile = app
        .resolve_profile(&workspace, params.profile.as_deref())
        .await?;
    let day = match params.as_of()? {
        Some(day) => Some(day),
        None => {
            app.store
                .latest_day(&workspace, profile.id.as_str())
                .await?
        }
    };
    let items = app
        .list_segments(&workspace, &profile, params.kind()?, day)
        .await?;
    Ok(page_json(items, None))
}
