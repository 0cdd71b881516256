//! Managing a WhatsApp number through Meta's Graph API: the number itself (details, registration,
//! verification), its business profile, the business account's templates and webhook subscription, and
//! the access token. Meta's refusals come back as 422 with Meta's code; Meta failing as 502.

use super::auth::ApiAuth;
use super::error::ApiError;
use super::Tag;
use crate::http::AppState;
use actors::graph::management::{
    BusinessAccount, BusinessProfile, CodeMethod, NewTemplate, PhoneNumber, ProfileUpdate,
    SubscribedApp, Template, TemplateCreated, TemplateQuery, TokenInfo,
};
use actors::graph::{AccessToken, CallError, GraphClient, Success};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use std::sync::Arc;

pub struct WhatsAppApi;

#[derive(Debug, Clone, Object)]
pub struct Done {
    pub success: bool,
}

#[derive(Debug, Clone, Object)]
pub struct PhoneNumberList {
    pub phone_numbers: Vec<PhoneNumber>,
}

#[derive(Debug, Clone, Object)]
pub struct TemplateList {
    pub templates: Vec<Template>,
    /// Pass as `after` for the next page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Object)]
pub struct Subscriptions {
    /// Apps subscribed to the business account's webhooks.
    pub apps: Vec<SubscribedApp>,
    /// Whether this inbox's Meta app (`META_APP_ID`) is among them: without it nothing arrives.
    pub this_app_subscribed: Option<bool>,
}

#[derive(Debug, Clone, Object)]
pub struct Subscribe {
    /// Send this business account's webhooks elsewhere (requires a plain subscription first).
    pub override_callback_uri: Option<String>,
    pub verify_token: Option<String>,
}

#[derive(Debug, Clone, Object)]
pub struct Register {
    /// The number's six-digit two-step verification PIN.
    pub pin: String,
}

#[derive(Debug, Clone, Object)]
pub struct RequestCode {
    pub method: CodeMethod,
    /// Language of the message with the code, such as `en_US`.
    #[oai(default = "default_language")]
    pub language: String,
}

fn default_language() -> String {
    "en_US".to_owned()
}

#[derive(Debug, Clone, Object)]
pub struct VerifyCode {
    pub code: String,
}

/// Meta's `{"success": ...}`, or its error.
fn answered(result: Result<Success, CallError>) -> Result<Json<Done>, ApiError> {
    let success = result.map_err(ApiError::graph)?.success;
    Ok(Json(Done { success }))
}

/// A number this inbox can manage: its token, and its business account when configured.
struct Number<'a> {
    graph: &'a GraphClient,
    token: AccessToken,
    id: String,
    business_account: Option<String>,
}

impl Number<'_> {
    fn business_account(&self) -> Result<&str, ApiError> {
        self.business_account.as_deref().ok_or_else(|| {
            ApiError::conflict(
                "business_account_not_configured",
                "set the account's business_account_id (or WHATSAPP_BUSINESS_ACCOUNT_ID) to manage templates, numbers and the webhook subscription",
            )
        })
    }
}

fn number<'a>(state: &'a AppState, id: &str) -> Result<Number<'a>, ApiError> {
    let account = state
        .registry
        .get(id)
        .ok_or_else(|| ApiError::not_found("account", id))?;
    let token = account.access_token.ok_or_else(|| {
        ApiError::conflict(
            "account_not_connected",
            format!(
                "number {id} has no access token: set one with PATCH /api/v1/accounts/{id} (or WHATSAPP_TOKEN)"
            ),
        )
    })?;
    Ok(Number {
        graph: state.outbox.graph(),
        token,
        id: id.to_owned(),
        business_account: account.business_account_id,
    })
}

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::WhatsApp")]
impl WhatsAppApi {
    /// The number as Meta sees it: display number, verified name, quality, status, throughput.
    #[oai(
        path = "/accounts/:id/phone-number",
        method = "get",
        operation_id = "getPhoneNumber"
    )]
    async fn phone_number(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
    ) -> Result<Json<PhoneNumber>, ApiError> {
        caller.require_account(&id.0, "account", &id.0)?;
        let n = number(&state, &id.0)?;
        let found = n.graph.phone_number(&n.token, &n.id).await;
        Ok(Json(found.map_err(ApiError::graph)?))
    }

    /// Every number of the business account.
    #[oai(
        path = "/accounts/:id/phone-numbers",
        method = "get",
        operation_id = "listPhoneNumbers"
    )]
    async fn phone_numbers(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
    ) -> Result<Json<PhoneNumberList>, ApiError> {
        caller.require_account(&id.0, "account", &id.0)?;
        let n = number(&state, &id.0)?;
        let page = n
            .graph
            .phone_numbers(&n.token, n.business_account()?)
            .await
            .map_err(ApiError::graph)?;
        Ok(Json(PhoneNumberList {
            phone_numbers: page.data,
        }))
    }

    /// Register the number with the Cloud API (with its two-step PIN).
    #[oai(
        path = "/accounts/:id/register",
        method = "post",
        operation_id = "registerNumber"
    )]
    async fn register(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
        body: Json<Register>,
    ) -> Result<Json<Done>, ApiError> {
        caller.require_account(&id.0, "account", &id.0)?;
        let n = number(&state, &id.0)?;
        let done = n.graph.register(&n.token, &n.id, &body.0.pin).await;
        answered(done)
    }

    /// Deregister the number from the Cloud API.
    #[oai(
        path = "/accounts/:id/deregister",
        method = "post",
        operation_id = "deregisterNumber"
    )]
    async fn deregister(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
    ) -> Result<Json<Done>, ApiError> {
        caller.require_account(&id.0, "account", &id.0)?;
        let n = number(&state, &id.0)?;
        let done = n.graph.deregister(&n.token, &n.id).await;
        answered(done)
    }

    /// Ask Meta to send a verification code by SMS or voice call.
    #[oai(
        path = "/accounts/:id/verification-code",
        method = "post",
        operation_id = "requestCode"
    )]
    async fn request_code(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
        body: Json<RequestCode>,
    ) -> Result<Json<Done>, ApiError> {
        caller.require_account(&id.0, "account", &id.0)?;
        let n = number(&state, &id.0)?;
        let done = n
            .graph
            .request_code(&n.token, &n.id, body.0.method, &body.0.language)
            .await;
        answered(done)
    }

    /// Verify the number with the code Meta sent.
    #[oai(
        path = "/accounts/:id/verification-code/verify",
        method = "post",
        operation_id = "verifyCode"
    )]
    async fn verify_code(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
        body: Json<VerifyCode>,
    ) -> Result<Json<Done>, ApiError> {
        caller.require_account(&id.0, "account", &id.0)?;
        let n = number(&state, &id.0)?;
        let done = n.graph.verify_code(&n.token, &n.id, &body.0.code).await;
        answered(done)
    }

    /// The business profile customers see.
    #[oai(
        path = "/accounts/:id/profile",
        method = "get",
        operation_id = "getBusinessProfile"
    )]
    async fn profile(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
    ) -> Result<Json<BusinessProfile>, ApiError> {
        caller.require_account(&id.0, "account", &id.0)?;
        let n = number(&state, &id.0)?;
        let profile = n.graph.business_profile(&n.token, &n.id).await;
        Ok(Json(profile.map_err(ApiError::graph)?))
    }

    /// Change the business profile; fields left out stay as they are. `about` up to 139 characters, at
    /// most two websites.
    #[oai(
        path = "/accounts/:id/profile",
        method = "patch",
        operation_id = "updateBusinessProfile"
    )]
    async fn update_profile(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
        body: Json<ProfileUpdate>,
    ) -> Result<Json<BusinessProfile>, ApiError> {
        caller.require_account(&id.0, "account", &id.0)?;
        body.0
            .validate()
            .map_err(|reason| ApiError::bad_request("invalid_profile", reason))?;
        let n = number(&state, &id.0)?;
        n.graph
            .update_business_profile(&n.token, &n.id, &body.0)
            .await
            .map_err(ApiError::graph)?;
        let profile = n.graph.business_profile(&n.token, &n.id).await;
        Ok(Json(profile.map_err(ApiError::graph)?))
    }

    /// The business account's message templates, with their review status.
    #[allow(clippy::too_many_arguments)]
    #[oai(
        path = "/accounts/:id/templates",
        method = "get",
        operation_id = "listTemplates"
    )]
    async fn templates(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
        name: Query<Option<String>>,
        /// `APPROVED`, `PENDING`, `REJECTED`, ...
        status: Query<Option<String>>,
        /// 1 to 100 (default 100).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
        after: Query<Option<String>>,
    ) -> Result<Json<TemplateList>, ApiError> {
        caller.require_account(&id.0, "account", &id.0)?;
        let limit = super::cursor::limit(limit.0, 100, 100)?;
        let n = number(&state, &id.0)?;
        let query = TemplateQuery {
            name: name.0,
            status: status.0,
            limit: Some(limit as u32),
            after: after.0,
        };
        let page = n
            .graph
            .templates(&n.token, n.business_account()?, &query)
            .await
            .map_err(ApiError::graph)?;
        Ok(Json(TemplateList {
            next_cursor: page.after().map(str::to_owned),
            templates: page.data,
        }))
    }

    /// Submit a template for Meta's review.
    #[oai(
        path = "/accounts/:id/templates",
        method = "post",
        operation_id = "createTemplate"
    )]
    async fn create_template(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
        body: Json<NewTemplate>,
    ) -> Result<Json<TemplateCreated>, ApiError> {
        caller.require_account(&id.0, "account", &id.0)?;
        body.0
            .validate()
            .map_err(|reason| ApiError::bad_request("invalid_template", reason))?;
        let n = number(&state, &id.0)?;
        let created = n
            .graph
            .create_template(&n.token, n.business_account()?, &body.0)
            .await;
        Ok(Json(created.map_err(ApiError::graph)?))
    }

    /// Delete a template in every language, or one (`template_id`).
    #[oai(
        path = "/accounts/:id/templates/:name",
        method = "delete",
        operation_id = "deleteTemplate"
    )]
    async fn delete_template(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
        name: Path<String>,
        template_id: Query<Option<String>>,
    ) -> Result<Json<Done>, ApiError> {
        caller.require_account(&id.0, "account", &id.0)?;
        let n = number(&state, &id.0)?;
        let done = n
            .graph
            .delete_template(
                &n.token,
                n.business_account()?,
                &name.0,
                template_id.0.as_deref(),
            )
            .await;
        answered(done)
    }

    /// Which apps receive the business account's webhooks. A verified webhook URL receives nothing until
    /// the app is subscribed here.
    #[oai(
        path = "/accounts/:id/subscription",
        method = "get",
        operation_id = "getSubscription"
    )]
    async fn subscription(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
    ) -> Result<Json<Subscriptions>, ApiError> {
        caller.require_account(&id.0, "account", &id.0)?;
        let n = number(&state, &id.0)?;
        let page = n
            .graph
            .subscribed_apps(&n.token, n.business_account()?)
            .await
            .map_err(ApiError::graph)?;
        let this_app = state.settings.whatsapp.app_id.as_deref();
        Ok(Json(Subscriptions {
            this_app_subscribed: this_app
                .map(|app| page.data.iter().any(|a| a.app_id() == Some(app))),
            apps: page.data,
        }))
    }

    /// Subscribe this app to the business account's webhooks.
    #[oai(
        path = "/accounts/:id/subscription",
        method = "put",
        operation_id = "subscribe"
    )]
    async fn subscribe(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
        body: Json<Subscribe>,
    ) -> Result<Json<Done>, ApiError> {
        caller.require_account(&id.0, "account", &id.0)?;
        let n = number(&state, &id.0)?;
        let override_callback = match (&body.0.override_callback_uri, &body.0.verify_token) {
            (Some(uri), Some(token)) => Some((uri.as_str(), token.as_str())),
            (None, None) => None,
            _ => {
                return Err(ApiError::bad_request(
                    "invalid_subscription",
                    "override_callback_uri and verify_token go together",
                ))
            }
        };
        let done = n
            .graph
            .subscribe_app(&n.token, n.business_account()?, override_callback)
            .await;
        answered(done)
    }

    /// Unsubscribe: webhooks stop at once.
    #[oai(
        path = "/accounts/:id/subscription",
        method = "delete",
        operation_id = "unsubscribe"
    )]
    async fn unsubscribe(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
    ) -> Result<Json<Done>, ApiError> {
        caller.require_account(&id.0, "account", &id.0)?;
        let n = number(&state, &id.0)?;
        let done = n
            .graph
            .unsubscribe_app(&n.token, n.business_account()?)
            .await;
        answered(done)
    }

    /// The business account's details.
    #[oai(
        path = "/accounts/:id/business-account",
        method = "get",
        operation_id = "getBusinessAccount"
    )]
    async fn business_account(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
    ) -> Result<Json<BusinessAccount>, ApiError> {
        caller.require_account(&id.0, "account", &id.0)?;
        let n = number(&state, &id.0)?;
        let account = n
            .graph
            .business_account(&n.token, n.business_account()?)
            .await;
        Ok(Json(account.map_err(ApiError::graph)?))
    }

    /// What Meta says about the number's access token: valid or not, when it expires (0 = never), its
    /// permissions and the business accounts it reaches. The token itself is never returned.
    #[oai(
        path = "/accounts/:id/token",
        method = "get",
        operation_id = "debugToken"
    )]
    async fn token(
        &self,
        state: Data<&Arc<AppState>>,
        ApiAuth(caller): ApiAuth,
        id: Path<String>,
    ) -> Result<Json<TokenInfo>, ApiError> {
        caller.require_account(&id.0, "account", &id.0)?;
        let n = number(&state, &id.0)?;
        let w = &state.settings.whatsapp;
        let app_id = w.app_id.as_deref().ok_or_else(|| {
            ApiError::conflict(
                "app_not_configured",
                "set META_APP_ID: Meta checks tokens with the app's id and secret",
            )
        })?;
        let app_token = AccessToken::app(app_id, w.app_secret.expose());
        let info = n.graph.debug_token(&app_token, &n.token).await;
        Ok(Json(info.map_err(ApiError::graph)?))
    }
}
