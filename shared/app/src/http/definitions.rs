//! Admin routes for custom segments (definitions and members) and alert rules, and the
//! alert history with delivery outcomes.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};
use pulse_core::segments::default_segment;
use pulse_core::{Day, DefinitionKind, SubjectKind, WorkspaceId};
use pulse_store::{AlertQuery, AlertStatus, SpanFilter};

use crate::notify::delivery_view;
use serde_json::{Value, json};

use super::admin::{ApiResult, ReadParams, page_json};
use super::auth::AdminWorkspace;
use super::body::read_limited;
use crate::App;
use crate::error::AppError;

pub fn routes() -> Router<App> {
    Router::new()
        .route(
            "/v1/segments/{id}",
            get(get_segment).put(put_segment).delete(delete_segment),
        )
        .route("/v1/segments/{id}/members", get(segment_members))
        .route("/v1/alerts", get(list_alert_rules))
        .route("/v1/alerts/deliveries", get(deliveries))
        .route(
            "/v1/alerts/{id}",
            get(get_alert_rule)
                .put(put_alert_rule)
                .delete(delete_alert_rule),
        )
}

/// Which profile and kind a segment read is about: a custom segment's own, or the
/// parameters' for a default segment.
async fn segment_scope(
    app: &App,
    workspace: &WorkspaceId,
    id: &str,
    params: &ReadParams,
) -> Result<(pulse_core::Profile, SubjectKind), AppError> {
    if let Some(custom) = app
        .custom_segments(workspace)
        .await?
        .into_iter()
        .find(|segment| {
            segment.id.as_str() == id
                && params
                    .profile
                    .as_deref()
                    .is_none_or(|p| p == segment.profile.as_str())
        })
    {
        let profile = app
            .require_profile(workspace, custom.profile.as_str())
            .await?;
        return Ok((profile, custom.kind));
    }
    let kind = params.kind()?;
    let profile = app
        .resolve_profile(workspace, params.profile.as_deref())
        .await?;
    app.require_segment(workspace, &profile, kind, id).await?;
    Ok((profile, kind))
}

async fn get_segment(
    State(app): State<App>,
    AdminWorkspace(workspace): AdminWorkspace,
    Path(id): Path<String>,
    Query(params): Query<ReadParams>,
) -> ApiResult {
    let (profile, kind) = segment_scope(&app, &workspace, &id, &params).await?;
    let day = match params.as_of()? {
        Some(day) => Some(day),
        None => {
            app.store
                .latest_day(&workspace, profile.id.as_str())
                .await?
        }
    };
    let segments = app.list_segments(&workspace, &profile, kind, day).await?;
    segments
        .into_iter()
        .find(|segment| segment["id"] == id)
        .map(Json)
        .ok_or_else(|| AppError::not_found(format!("no segment `{id}`")))
}

async fn put_segment(
    State(app): State<App>,
    AdminWorkspace(workspace): AdminWorkspace,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult {
    if default_segment(&id, SubjectKind::Accounts).is_some() {
        return Err(AppError::bad_request(
            "default_segment",
            format!("`{id}` is a default segment; custom segments need another id"),
        ));
    }
    let bytes = read_limited(&headers, body, app.config.limits.max_admin_body_bytes).await?;
    let segment = app.apply_segment(&workspace, Some(&id), &bytes).await?;
    Ok(Json(json!(segment)))
}

async fn delete_segment(
    State(app): State<App>,
    AdminWorkspace(workspace): AdminWorkspace,
    Path(id): Path<String>,
) -> ApiResult {
    app.delete_segment(&workspace, &id).await?;
    Ok(Json(json!({"deleted": true, "id": id})))
}

async fn segment_members(
    State(app): State<App>,
    AdminWorkspace(workspace): AdminWorkspace,
    Path(id): Path<String>,
    Query(params): Query<ReadParams>,
) -> ApiResult {
    let (profile, kind) = segment_scope(&app, &workspace, &id, &params).await?;
    let day = app
        .resolve_day(&workspace, &profile, params.as_of()?)
        .await?;
    let mut query = params.list_query(&app)?;
    query.segment = Some(id.clone());
    let page = app
        .list_scores(&workspace, &profile, kind, day, &query)
        .await?;
    let entered: HashMap<String, Day> = app
        .store
        .segment_spans(
            &workspace,
            profile.id.as_str(),
            kind,
            SpanFilter::Segment(&id),
        )
        .await?
        .into_iter()
        .filter(|span| span.entered <= day && span.left.is_none_or(|left| left > day))
        .map(|span| (span.subject, span.entered))
        .collect();
    let items = page
        .items
        .into_iter()
        .map(|mut item| {
            let subject = item["id"].as_str().unwrap_or_default().to_string();
            if let (Value::Object(object), Some(day)) = (&mut item, entered.get(&subject)) {
                object.insert("segment_entered".into(), json!(day));
            }
            item
        })
        .collect();
    Ok(page_json(items, page.next_cursor))
}

async fn list_alert_rules(
    State(app): State<App>,
    AdminWorkspace(workspace): AdminWorkspace,
) -> ApiResult {
    let rules = app
        .store
        .definitions(&workspace, DefinitionKind::AlertRule)
        .await?;
    Ok(page_json(rules, None))
}

async fn get_alert_rule(
    State(app): State<App>,
    AdminWorkspace(workspace): AdminWorkspace,
    Path(id): Path<String>,
) -> ApiResult {
    app.store
        .definition(&workspace, DefinitionKind::AlertRule, &id)
        .await?
        .map(Json)
        .ok_or_else(|| AppError::not_found(format!("no alert rule `{id}`")))
}

async fn put_alert_rule(
    State(app): State<App>,
    AdminWorkspace(workspace): AdminWorkspace,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult {
    let bytes = read_limited(&headers, body, app.config.limits.max_admin_body_bytes).await?;
    let rule = app.apply_alert_rule(&workspace, Some(&id), &bytes).await?;
    Ok(Json(json!(rule)))
}

async fn delete_alert_rule(
    State(app): State<App>,
    AdminWorkspace(workspace): AdminWorkspace,
    Path(id): Path<String>,
) -> ApiResult {
    if app
        .store
        .delete_definition(&workspace, DefinitionKind::AlertRule, &id)
        .await?
    {
        Ok(Json(json!({"deleted": true, "id": id})))
    } else {
        Err(AppError::not_found(format!("no alert rule `{id}`")))
    }
}

/// Alerts newest first, with every delivery attempt and its outcome.
async fn deliveries(
    State(app): State<App>,
    AdminWorkspace(workspace): AdminWorkspace,
    Query(params): Query<ReadParams>,
) -> ApiResult {
    let list = params.list_query(&app)?;
    let status = params
        .status
        .as_deref()
        .map(|text| {
            AlertStatus::parse(text).ok_or_else(|| {
                AppError::bad_request(
                    "invalid_status",
                    "status must be one of pending, delivered, retrying, failed, logged",
                )
            })
        })
        .transpose()?;
    let query = AlertQuery {
        status,
        rule: params.rule.clone(),
        limit: list.limit,
        cursor: list.cursor,
    };
    let page = app.store.alerts(&workspace, &query).await?;
    Ok(page_json(
        page.items.iter().map(delivery_view).collect(),
        page.next_cursor,
    ))
}
